import pytest
from django import forms

from notifications.phone import PhoneField, normalize_phone


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+44 7911 123456", "+447911123456"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("07.81.23.45.67", "+33781234567"),
    ],
)
def test_good_numbers_are_cleaned_to_e164(typed, e164):
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12",
        "06 12 34",
        "+33 6 12 34 56 78 99",
        "hello",
        "+999 123456",
        "07 12 34 56 78",
        "01 42 68 53 00",  # a Paris landline: valid, but cannot receive an SMS
        "+44 20 7946 0958",  # a London landline
    ],
)
def test_bad_or_landline_numbers_are_refused(typed):
    with pytest.raises(ValueError):
        normalize_phone(typed)


class Form(forms.Form):
    phone = PhoneField()


def test_the_form_field_gives_e164_or_a_readable_error():
    form = Form({"phone": "06 12"})
    assert not form.is_valid()
    assert form.errors["phone"] == ["Enter a valid mobile phone number, e.g. +33 6 12 34 56 78."]
    good = Form({"phone": "+33 6 12 34 56 78"})
    assert good.is_valid()
    assert good.cleaned_data["phone"] == "+33612345678"


def test_the_form_field_renders_as_a_phone_input():
    html = str(Form()["phone"])
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
