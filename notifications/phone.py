"""Phone numbers: validated on input and stored as E.164 (+33612345678).

Numbers are parsed as people type them ("06 12 34 56 78", "+44 7911 123456"), French
numbers without a country code by default. Only numbers that can receive an SMS pass: a
mobile, or a number whose plan does not tell mobiles apart (the US and Canada).
"""

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "FR"
SMS_CAPABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """Return `value` as E.164, or raise ValueError if it is not a valid mobile number."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("invalid number")
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise ValueError("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneInput(forms.TextInput):
    """`<input type="tel">` (one type attribute: browsers take the first), phone keypad, autofill."""

    input_type = "tel"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "tel", "inputmode": "tel", **(attrs or {})})


class PhoneField(forms.CharField):
    """A form field that accepts a phone number as people type it and cleans it to E.164."""

    default_error_messages = {
        "invalid": _("Enter a valid mobile phone number, e.g. +33 6 12 34 56 78."),
    }

    widget = PhoneInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalize_phone(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
