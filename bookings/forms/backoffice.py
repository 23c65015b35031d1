"""Back-office forms. They check shape; the services (bookings.services.*) check the rules."""

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ..localtime import add_duration, elapsed, local_datetime, within_two_years
from ..models import TIMEZONE_CHOICES, Artisan, Slot, TicketType, Workshop
from ..services.slots import MAX_SERIES_DAYS

CURRENCY_CHOICES = [
    ("EUR", "EUR — €"),
    ("GBP", "GBP — £"),
    ("CHF", "CHF"),
    ("USD", "USD — $"),
    ("CAD", "CAD"),
]
MAX_PRICE_CENTS = 100_000_00


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# Whole counts (seats, minutes): the number keypad on a phone. Fields deep-copy their widget.
COUNT_INPUT = forms.NumberInput(attrs={"inputmode": "numeric"})


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class MoneyField(forms.Field):
    """An amount typed like `65`, `65,50` or `65.50` → integer cents."""

    default_error_messages = {
        "invalid": _("Enter an amount such as 65 or 65,50."),
        "too_big": _("This amount is too large."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            if value % 100 == 0:
                return f"{value // 100}"
            text = f"{value // 100}.{value % 100:02d}"
            return (
                text.replace(".", ",")
                if (translation.get_language() or "").startswith("fr")
                else text
            )
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or len(value) > 20:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        text = re.sub(r"[\s\u00a0\u202f€$£]", "", value).replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            cents = int(Decimal(text) * 100)
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if cents > MAX_PRICE_CENTS:
            raise forms.ValidationError(self.error_messages["too_big"], code="too_big")
        return cents


# --- Slots ----------------------------------------------------------------------------------


class SlotTimesMixin:
    """date + start_time (+ end_time) in the workshop's time zone → aware starts_at/ends_at.

    An end at or before the start on the clock is the next day (an evening until midnight or
    1 a.m.), as long as the session then lasts at most MAX_OVERNIGHT (or the workshop's
    duration, if longer: the page's script fills the end from it); 10:00 → 09:00 stays an error.
    """

    MAX_OVERNIGHT = timedelta(hours=12)

    def _local(self, cleaned, field: str, at, tz, day=None):
        try:
            return local_datetime(day or cleaned["date"], at, tz)
        except forms.ValidationError as exc:
            self.add_error(field, exc)
            return None

    def _combine_times(self, cleaned, workshop: Workshop, default_end: bool) -> None:
        day, start, end = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("end_time")
        if day is None or start is None:
            return
        tz = workshop.tzinfo
        starts_at = self._local(cleaned, "start_time", start, tz)
        if starts_at is None:
            return
        if end is not None:
            next_day = day + timedelta(days=1) if end <= start else None
            ends_at = self._local(cleaned, "end_time", end, tz, next_day)
            if ends_at is None:
                return
            duration = elapsed(starts_at, ends_at)
            longest = max(self.MAX_OVERNIGHT, timedelta(minutes=workshop.duration_minutes))
            if duration <= timedelta(0) or (next_day and duration > longest):
                self.add_error("end_time", _("The end must be after the start."))
                return
        elif default_end:
            ends_at = add_duration(starts_at, timedelta(minutes=workshop.duration_minutes))
        else:
            return
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at


class SlotCreateForm(SlotTimesMixin, forms.Form):
    ONCE, WEEKLY = "once", "weekly"

    workshop = forms.ModelChoiceField(
        queryset=Workshop.objects.none(), label=_("Workshop"), empty_label=None
    )
    date = forms.DateField(label=_("Date"), widget=DateInput(), validators=[within_two_years])
    start_time = forms.TimeField(label=_("Start"), widget=TimeInput())
    end_time = forms.TimeField(
        label=_("End"),
        required=False,
        widget=TimeInput(),
        help_text=_(
            "Leave empty to use the workshop's duration. An end before the start is the next day."
        ),
    )
    capacity = forms.IntegerField(
        widget=COUNT_INPUT,
        label=_("Capacity"),
        min_value=1,
        max_value=1000,
        required=False,
        help_text=_("Leave empty to use the workshop's default capacity."),
    )
    repeat = forms.ChoiceField(
        label=_("Repeat"),
        choices=[(ONCE, _("Just once")), (WEEKLY, _("Every week until…"))],
        initial=ONCE,
        widget=forms.RadioSelect,
    )
    until = forms.DateField(
        label=_("Last date"), required=False, widget=DateInput(), validators=[within_two_years]
    )

    def __init__(self, *args, artisan, **kwargs):
        super().__init__(*args, **kwargs)
        workshops = Workshop.objects.filter(artisan=artisan).order_by("title", "pk")
        self.fields["workshop"].queryset = workshops
        # The page's script fills the end from the workshop's duration (minutes).
        self.durations = {str(w.pk): w.duration_minutes for w in workshops}
        self.capacities = {str(w.pk): w.default_capacity for w in workshops}

    def clean(self):
        cleaned = super().clean()
        workshop = cleaned.get("workshop")
        if workshop is None:
            return cleaned
        self._combine_times(cleaned, workshop, default_end=True)
        starts_at = cleaned.get("starts_at")
        if starts_at is not None and starts_at <= timezone.now():
            self.add_error("date", _("The start is in the past."))
        if cleaned.get("capacity") is None and not self.has_error("capacity"):
            cleaned["capacity"] = workshop.default_capacity
        if cleaned.get("repeat") == self.WEEKLY:
            until, day = cleaned.get("until"), cleaned.get("date")
            if until is None:
                if not self.has_error("until"):
                    self.add_error("until", _("Give the date of the last session."))
            elif day is not None and until < day:
                self.add_error("until", _("The last date is before the first one."))
            elif day is not None and until > day + timedelta(days=MAX_SERIES_DAYS):
                self.add_error("until", _("A weekly series covers at most one year."))
        else:
            cleaned["until"] = None
        return cleaned


class SlotEditForm(SlotTimesMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput(), validators=[within_two_years])
    start_time = forms.TimeField(label=_("Start"), widget=TimeInput())
    end_time = forms.TimeField(
        label=_("End"), widget=TimeInput(), help_text=_("An end before the start is the next day.")
    )
    capacity = forms.IntegerField(
        widget=COUNT_INPUT, label=_("Capacity"), min_value=1, max_value=1000
    )

    def __init__(self, *args, slot, **kwargs):
        self.slot = slot
        tz = slot.workshop.tzinfo
        start, end = slot.starts_at.astimezone(tz), slot.ends_at.astimezone(tz)
        kwargs.setdefault(
            "initial",
            {
                "date": start.date(),
                "start_time": start.time(),
                "end_time": end.time(),
                "capacity": slot.capacity,
            },
        )
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        self._combine_times(cleaned, self.slot.workshop, default_end=False)
        capacity = cleaned.get("capacity")
        if capacity is not None and capacity < self.slot.seats_taken:
            self.add_error(
                "capacity",
                _("%(taken)d seats are already booked: the capacity cannot be lower.")
                % {"taken": self.slot.seats_taken},
            )
        return cleaned


class SlotCancelForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the participants"),
        max_length=Slot._meta.get_field("cancel_message").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent by email to every participant. Say why, and what you offer instead."),
    )


# --- Workshops ------------------------------------------------------------------------------


class WorkshopForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=Workshop._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    practical_info = forms.CharField(
        label=_("Practical information"),
        required=False,
        max_length=Workshop._meta.get_field("practical_info").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What to wear, what to bring, access, age limits…"),
    )
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 5 MB. Wide photos are resized to 1600 pixels."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove the current photo"), required=False)
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES)
    price_cents = MoneyField(label=_("Price per seat"), help_text=_("For example 65 or 65,50."))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    duration_minutes = forms.IntegerField(
        widget=COUNT_INPUT, label=_("Duration (minutes)"), min_value=1, max_value=24 * 60
    )
    default_capacity = forms.IntegerField(
        widget=COUNT_INPUT, label=_("Default capacity"), min_value=1, max_value=1000
    )
    is_published = forms.BooleanField(
        label=_("Published"), required=False, help_text=_("Shown to customers on the storefront.")
    )
    privatisation_enabled = forms.BooleanField(
        label=_("Privatisation enabled"),
        required=False,
        help_text=_("Customers may ask to book a private session for their group."),
    )
    private_min_capacity = forms.IntegerField(
        widget=COUNT_INPUT, label=_("Private minimum participants"), min_value=1, max_value=1000
    )
    private_max_capacity = forms.IntegerField(
        widget=COUNT_INPUT, label=_("Private maximum participants"), min_value=1, max_value=1000
    )
    # After the booking (issue 11): free changes and minimum participants.
    change_deadline_days = forms.IntegerField(
        widget=COUNT_INPUT,
        required=False,
        label=_("Free changes until (days before)"),
        min_value=0,
        max_value=60,
        help_text=_("Customers may move or cancel for free until this many days before the start."),
    )
    min_participants = forms.IntegerField(
        widget=COUNT_INPUT,
        label=_("Minimum participants"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Optional. Below it, you are asked to uphold or cancel the date."),
    )
    min_check_days = forms.IntegerField(
        widget=COUNT_INPUT,
        required=False,
        label=_("Check the minimum (days before)"),
        min_value=1,
        max_value=60,
    )
    min_decision_days = forms.IntegerField(
        widget=COUNT_INPUT,
        required=False,
        label=_("Decide by (days before)"),
        min_value=1,
        max_value=60,
        help_text=_("Without your answer by then, the date is cancelled."),
    )

    MAX_PHOTO_BYTES = 5 * 1024 * 1024

    def __init__(self, *args, workshop: Workshop | None = None, **kwargs):
        self.workshop = workshop
        if workshop is not None:
            initial = {
                name: getattr(workshop, name)
                for name in self.base_fields
                if name not in ("photo", "remove_photo")
            }
            kwargs.setdefault("initial", initial)
        else:
            kwargs.setdefault(
                "initial",
                {
                    "timezone": "Europe/Paris",
                    "currency": "EUR",
                    "duration_minutes": 120,
                    "default_capacity": 8,
                    "private_min_capacity": 1,
                    "private_max_capacity": 10,
                    "change_deadline_days": 4,
                    "min_check_days": 7,
                    "min_decision_days": 4,
                },
            )
        super().__init__(*args, **kwargs)
        if workshop is not None and workshop.currency not in dict(CURRENCY_CHOICES):
            self.fields["currency"].choices = [
                *CURRENCY_CHOICES,
                (workshop.currency, workshop.currency),
            ]
        if workshop is None or not workshop.photo:
            del self.fields["remove_photo"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > self.MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("This photo is larger than 5 MB."))
        return photo

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("private_min_capacity"), cleaned.get("private_max_capacity")
        if low is not None and high is not None and low > high:
            self.add_error(
                "private_min_capacity",
                _("The private minimum cannot be above the private maximum."),
            )
            self.add_error(
                "private_max_capacity",
                _("The private maximum cannot be below the private minimum."),
            )
        self._clean_minimum(cleaned)
        return cleaned

    # Left empty (or not sent by an older form): the workshop's value, else the model default.
    DAY_FIELDS = ("change_deadline_days", "min_check_days", "min_decision_days")

    def _days_or_default(self, cleaned) -> None:
        for name in self.DAY_FIELDS:
            if cleaned.get(name) is None and name not in self.errors:
                current = getattr(self.workshop, name, None)
                cleaned[name] = (
                    current if current is not None else Workshop._meta.get_field(name).default
                )

    def _clean_minimum(self, cleaned) -> None:
        self._days_or_default(cleaned)
        minimum, capacity = cleaned.get("min_participants"), cleaned.get("default_capacity")
        if minimum is not None and capacity is not None and minimum > capacity:
            self.add_error(
                "min_participants", _("The minimum cannot be above the default capacity.")
            )
        check, decision = cleaned.get("min_check_days"), cleaned.get("min_decision_days")
        if check is not None and decision is not None and decision >= check:
            self.add_error(
                "min_decision_days",
                _("The decision must come after the check: fewer days before the start."),
            )


class TicketTypeForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=120)
    price_cents = MoneyField(label=_("Price"))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TicketType._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    requires_confirmation = forms.BooleanField(
        label=_("Must be confirmed and charged after confirmation"),
        required=False,
        help_text=_("The card is only authorised; you accept or refuse the order first."),
    )
    is_active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def clean_price_cents(self):
        price = self.cleaned_data.get("price_cents")
        if price == 0:
            # Every booking goes through a payment step; a free ticket would have none to confirm it.
            raise forms.ValidationError(_("A ticket type needs a price above zero."), code="free")
        return price


TicketTypeFormSet = forms.formset_factory(
    TicketTypeForm, extra=1, can_delete=True, max_num=20, validate_max=True
)


def ticket_type_initial(workshop: Workshop | None) -> list[dict]:
    if workshop is None:
        return []
    return [
        {
            "id": t.pk,
            "name": t.name,
            "price_cents": t.price_cents,
            "description": t.description,
            "requires_confirmation": t.requires_confirmation,
            "is_active": t.is_active,
        }
        for t in workshop.ticket_types.all()
    ]


def ticket_type_rows(formset) -> list[dict]:
    """The formset's rows for `workshop_save`, skipping untouched empty extra forms."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() and not form.initial:
            continue
        data = form.cleaned_data
        if not data:
            continue
        rows.append({**data, "delete": bool(data.get("DELETE"))})
    return rows


# --- Legal details and VAT (printed on company quotes) ------------------------------------


class RateField(forms.DecimalField):
    """A percentage typed with a comma or a point, whatever the page's language ("5,5" or "5.5")."""

    def to_python(self, value):
        return super().to_python(
            value.replace(",", ".").strip() if isinstance(value, str) else value
        )

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            text = f"{value.normalize():f}"
            return (
                text.replace(".", ",")
                if (translation.get_language() or "").startswith("fr")
                else text
            )
        return value


class ArtisanLegalForm(forms.Form):
    SUBJECT, EXEMPT = "subject", "exempt"

    legal_name = forms.CharField(
        label=_("Business name"),
        max_length=160,
        required=False,
        help_text=_("As registered; your display name is used when empty."),
    )
    legal_address = forms.CharField(
        label=_("Business address"),
        required=False,
        max_length=Artisan._meta.get_field("legal_address").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    company_number = forms.CharField(
        label=_("SIRET or company number"), max_length=40, required=False
    )
    vat = forms.ChoiceField(
        label=_("VAT"),
        widget=forms.RadioSelect,
        initial=EXEMPT,
        choices=[
            (SUBJECT, _("I charge VAT")),
            (EXEMPT, _("VAT not applicable (e.g. micro-enterprise)")),
        ],
    )
    vat_rate = RateField(
        label=_("VAT rate (%)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        help_text=_("For example 20 or 5,5."),
    )
    vat_number = forms.CharField(label=_("VAT number"), max_length=40, required=False)
    vat_exemption_note = forms.CharField(
        label=_("Mention on your quotes"),
        max_length=200,
        required=False,
        help_text=_("For example “TVA non applicable, art. 293 B du CGI”."),
    )

    def __init__(self, *args, artisan, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "legal_name": artisan.legal_name,
                "legal_address": artisan.legal_address,
                "company_number": artisan.company_number,
                "vat_number": artisan.vat_number,
                "vat_exemption_note": artisan.vat_exemption_note,
                "vat": self.SUBJECT if artisan.subject_to_vat else self.EXEMPT,
                "vat_rate": Decimal(artisan.vat_rate_bp) / 100 if artisan.subject_to_vat else None,
            },
        )
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("vat") == self.SUBJECT:
            if cleaned.get("vat_rate") is None and not self.has_error("vat_rate"):
                self.add_error("vat_rate", _("Give your VAT rate."))
            if not (cleaned.get("vat_number") or "").strip():
                self.add_error("vat_number", _("A quote with VAT shows your VAT number."))
        return cleaned

    def values(self) -> dict:
        """The Artisan fields, VAT as basis points (20 % → 2000) or None when not applicable."""
        data = self.cleaned_data
        subject = data["vat"] == self.SUBJECT
        return {
            "legal_name": data["legal_name"].strip(),
            "legal_address": data["legal_address"].strip(),
            "company_number": data["company_number"].strip(),
            "vat_number": data["vat_number"].strip() if subject else "",
            "vat_rate_bp": int(data["vat_rate"] * 100) if subject else None,
            "vat_exemption_note": "" if subject else data["vat_exemption_note"].strip(),
        }
