"""Forms check shape; services check the rules against the database."""

import functools
import zoneinfo
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings.formatting import vat_rate_label
from bookings.forms.giftcards import GiftCodeField
from bookings.localtime import local_datetime, within_two_years
from notifications.phone import PhoneField

from .models import DateSuggestion, Message, PrivatisationRequest, Quote
from .services.submit import MAX_PROPOSED
from .states import RequestKind

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M")


def combine(day, at, tz) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


class SlotRowForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET, validators=[within_two_years])
    time = forms.TimeField(label=_("Start time"), widget=TIME_WIDGET)


class BaseSlotFormSet(forms.BaseFormSet):
    """1 to 10 rows (date + start time); the end follows from the workshop's duration."""

    min_rows = 1

    def __init__(self, *args, workshop=None, earliest=None, **kwargs):
        self.workshop = workshop
        self.earliest = earliest  # the first acceptable start (now + answer window)
        super().__init__(*args, **kwargs)

    def starts(self) -> list[datetime]:
        tz = self.workshop.tzinfo
        result = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("date") and data.get("time"):
                result.append(combine(data["date"], data["time"], tz))
        return result

    def clean(self):
        if any(self.errors):
            return
        for form in self.forms:  # a time the DST change skips or repeats is not a slot
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("date") and data.get("time"):
                try:
                    local_datetime(data["date"], data["time"], self.workshop.tzinfo)
                except forms.ValidationError as exc:
                    raise forms.ValidationError(exc.messages) from None
        starts = self.starts()
        if len(starts) < self.min_rows:
            raise forms.ValidationError(_("Propose at least one slot."))
        if len(starts) > MAX_PROPOSED:
            raise forms.ValidationError(_("Propose at most 10 slots."))
        now = timezone.now()
        tz = self.workshop.tzinfo
        duration = timedelta(minutes=self.workshop.duration_minutes)
        for start in starts:
            if start <= now:
                raise forms.ValidationError(
                    _("%(date)s is in the past.")
                    % {"date": start.astimezone(tz).strftime("%d/%m/%Y %H:%M")}
                )
            if self.earliest and start < self.earliest:
                raise forms.ValidationError(
                    _(
                        "%(date)s is too soon: the artisan needs time to answer. Propose slots after %(earliest)s."
                    )
                    % {
                        "date": start.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                        "earliest": self.earliest.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                    }
                )
        ordered = sorted(starts)
        for first, second in zip(ordered, ordered[1:], strict=False):
            if second < first + duration:
                raise forms.ValidationError(
                    _(
                        "Two slots are identical or overlap (%(date)s): the workshop lasts %(minutes)s minutes."
                    )
                    % {
                        "date": second.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                        "minutes": self.workshop.duration_minutes,
                    }
                )


def slot_formset(*, workshop, data=None, prefix="slots", min_rows=1, earliest=None, initial=None):
    FormSet = forms.formset_factory(
        SlotRowForm,
        formset=BaseSlotFormSet,
        extra=0 if (data or initial) else min_rows,
        max_num=MAX_PROPOSED,
        absolute_max=MAX_PROPOSED,
        validate_max=True,
    )
    FormSet.min_rows = min_rows
    formset = FormSet(
        data=data, prefix=prefix, workshop=workshop, earliest=earliest, initial=initial
    )
    formset.error_messages = {
        **formset.error_messages,
        "too_many_forms": _("Propose at most 10 slots."),
    }
    return formset


@functools.cache
def _known_timezones() -> frozenset[str]:

    return frozenset(zoneinfo.available_timezones())


class RequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("I am"),
        choices=RequestKind.choices,
        widget=forms.RadioSelect,
        initial=RequestKind.INDIVIDUAL,
    )
    company_name = forms.CharField(
        label=_("Company name"),
        max_length=160,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    billing_details = forms.CharField(
        label=_("Billing details"),
        required=False,
        max_length=PrivatisationRequest._meta.get_field("billing_details").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Address, VAT number, purchase order…"),
    )
    contact_name = forms.CharField(
        label=_("Contact name"),
        max_length=160,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = PhoneField(label=_("Mobile phone"))
    participants = forms.IntegerField(
        label=_("Number of participants"),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    message = forms.CharField(
        label=_("Message to the artisan"),
        max_length=PrivatisationRequest._meta.get_field("message").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    customer_timezone = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, workshop, **kwargs):
        super().__init__(*args, **kwargs)
        self.workshop = workshop
        field = self.fields["participants"]
        field.validators.append(_MaxParticipants(workshop.private_max_capacity))
        field.widget.attrs.update({"min": 1, "max": workshop.private_max_capacity})
        field.help_text = _("From 1 to %(max)s.") % {"max": workshop.private_max_capacity}

    def clean_customer_timezone(self):
        # A known zone name, else the workshop's (never ZoneInfo(anything): a long or odd value
        # is a file lookup that can raise OSError).
        value = self.cleaned_data.get("customer_timezone") or ""
        return value if value in _known_timezones() else self.workshop.timezone

    def clean(self):
        data = super().clean()
        if data.get("kind") == RequestKind.COMPANY and not (data.get("company_name") or "").strip():
            self.add_error("company_name", _("Tell us the company name."))
        return data


class _MaxParticipants:
    def __init__(self, maximum):
        self.maximum = maximum

    def __call__(self, value):
        if value is not None and value > self.maximum:
            raise forms.ValidationError(
                _("This workshop can be privatised for at most %(max)s participants.")
                % {"max": self.maximum}
            )


class MessageForm(forms.Form):
    """The conversation: a chat beside the request, not the artisan's answer."""

    body = forms.CharField(
        label=_("Write in the conversation"),
        max_length=Message._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "A chat about the request, apart from the answer; the other side is emailed each message."
        ),
    )


class ChooseForm(forms.Form):
    offer = forms.IntegerField(widget=forms.HiddenInput)
    gift_code = GiftCodeField(required=False)


class ManageForm(forms.Form):
    """The artisan's answer: accept proposed slots and/or offer others, or refuse; always a message."""

    ANSWER, REFUSE = "answer", "refuse"
    decision = forms.ChoiceField(
        label=_("Your answer"),
        widget=forms.RadioSelect,
        initial=ANSWER,
        choices=[(ANSWER, _("Accept or offer slots")), (REFUSE, _("Refuse the request"))],
    )
    accept = forms.TypedMultipleChoiceField(
        label=_("Proposed slots you accept"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    message = forms.CharField(
        label=_("Message with your answer"),
        max_length=Message._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Part of your answer: sent with it by email and SMS, and kept at the head of the conversation."
        ),
    )
    confirm_removal = forms.BooleanField(
        label=_("Remove these empty slots from my calendar"), required=False
    )
    quote_amount = forms.CharField(
        label=_("Quote amount"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    quote_valid_until = forms.DateField(
        label=_("Quote valid until"), required=False, widget=DATE_WIDGET
    )
    quote_note = forms.CharField(
        label=_("Quote note"),
        required=False,
        max_length=Quote._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, request_obj, marks, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_obj = request_obj
        self.marks = marks  # [(proposed, Availability)]
        self.fields["accept"].choices = [(p.pk, str(p.pk)) for p, mark in marks if mark.selectable]
        if request_obj.is_company:
            artisan = request_obj.workshop.artisan
            if artisan.subject_to_vat:
                self.fields["quote_amount"].label = _("Quote amount before tax")
                self.fields["quote_amount"].help_text = _(
                    "VAT at %(rate)s is added to it (your settings in My activity)."
                ) % {"rate": vat_rate_label(artisan.vat_rate_bp)}
            else:
                self.fields["quote_amount"].help_text = _(
                    "VAT not applicable (your settings in My activity): this is the total."
                )
        if request_obj.is_company and not self.is_bound:
            tz = request_obj.workshop.tzinfo
            until = timezone.now() + timedelta(hours=settings.PRIVATISATION_COMPANY_PAY_HOURS)
            self.initial["quote_valid_until"] = until.astimezone(tz).date()
            self.initial["quote_amount"] = f"{request_obj.price_cents / 100:.2f}"

    def clean_quote_amount(self):
        raw = (self.cleaned_data.get("quote_amount") or "").replace(",", ".").replace(" ", "")
        if not raw:
            return None
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount, e.g. 450.00.")) from None
        if amount <= 0 or amount.as_tuple().exponent < -2:
            raise forms.ValidationError(_("Enter a positive amount with at most two decimals."))
        return int(amount * 100)

    def quote_valid_until_dt(self):
        day = self.cleaned_data.get("quote_valid_until")
        if not day:
            return None
        return combine(day, time(23, 59), self.request_obj.workshop.tzinfo)

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.ANSWER and self.request_obj.is_company:
            if not data.get("quote_amount") and "quote_amount" not in self.errors:
                self.add_error(
                    "quote_amount",
                    _("A company request is answered with a quote: enter its amount."),
                )
            if not data.get("quote_valid_until"):
                self.add_error("quote_valid_until", _("Until when is the quote valid?"))
            elif data["quote_valid_until"] < timezone.localdate(
                timezone=self.request_obj.workshop.tzinfo
            ):
                self.add_error("quote_valid_until", _("The quote must be valid in the future."))
        return data


class SuggestionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET, validators=[within_two_years])
    time = forms.TimeField(label=_("Start time"), widget=TIME_WIDGET)
    contact_name = forms.CharField(
        label=_("Your name"), max_length=160, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    message = forms.CharField(
        label=_("Message (optional)"),
        required=False,
        max_length=DateSuggestion._meta.get_field("message").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, workshop, **kwargs):
        super().__init__(*args, **kwargs)
        self.workshop = workshop

    def starts_at(self):
        return combine(self.cleaned_data["date"], self.cleaned_data["time"], self.workshop.tzinfo)

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("time"):
            try:
                local_datetime(data["date"], data["time"], self.workshop.tzinfo)
            except forms.ValidationError as exc:
                self.add_error("time", exc)
                return data
        if data.get("date") and data.get("time") and self.starts_at() <= timezone.now():
            self.add_error("date", _("Suggest a date in the future."))
        return data
