"""The artisan's Orders section: the list's search and filters, the actions on one order (shape
only: the services check the rules)."""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..formatting import format_when
from ..models import Artisan, Slot, Workshop
from ..selectors.orders import OrderFilters
from ..states import OrderStatus
from ..templatetags.atelier import format_money
from .backoffice import DateInput, MoneyField

# The dates an order list may be filtered on (year 9999 would overflow the day arithmetic).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
MAX_SEARCH_LENGTH = 200


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        help_text=_("Name, email, phone or order number"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    workshop = forms.ModelChoiceField(
        queryset=Workshop.objects.none(),
        required=False,
        empty_label=_("All workshops"),
        label=_("Workshop"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *OrderStatus.choices],
    )
    date_from = forms.DateField(label=_("Sessions from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("to"), required=False, widget=DateInput())

    def __init__(self, *args, artisan: Artisan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = Workshop.objects.filter(artisan=artisan).order_by(
            "title", "pk"
        )

    def _clean_day(self, name: str):
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                _("Choose a date between %(first)s and %(last)s.")
                % {"first": FIRST_DAY.year, "last": LAST_DAY.year},
                code="out_of_range",
            )
        return day

    def clean_date_from(self):
        return self._clean_day("date_from")

    def clean_date_to(self):
        return self._clean_day("date_to")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)

    def filters(self) -> OrderFilters | None:
        """What the list is filtered on: none when unbound, None when the form has errors."""
        if not self.is_bound:
            return OrderFilters()
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return OrderFilters(
            search=data["q"],
            workshop_id=data["workshop"].pk if data["workshop"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            status=data["status"],
        )

    def query_string(self) -> str:
        """The valid filters as a query string (for the pages and the CSV link)."""
        if not self.is_bound or not self.is_valid():
            return ""
        data = self.cleaned_data
        params = {
            "q": data["q"],
            "workshop": data["workshop"].pk if data["workshop"] else "",
            "status": data["status"],
            "date_from": data["date_from"].isoformat() if data["date_from"] else "",
            "date_to": data["date_to"].isoformat() if data["date_to"] else "",
        }
        return urlencode({key: value for key, value in params.items() if value})


# --- Actions on one order ---------------------------------------------------------------------


class SlotChoiceField(forms.ModelChoiceField):
    """A slot shown as "Workshop — Tue 1 Dec 2026, 14:00 (3 seats left / full)" in its own zone."""

    def label_from_instance(self, slot):
        with timezone.override(slot.workshop.tzinfo):
            when = format_when(slot.starts_at, "weekday_datetime")
        if slot.seats_left:
            seats = ngettext("%(count)d seat left", "%(count)d seats left", slot.seats_left) % {
                "count": slot.seats_left
            }
        else:
            seats = _("full")
        return f"{slot.workshop.title} — {when} ({seats})"


class OrderMoveForm(forms.Form):
    slot = SlotChoiceField(
        queryset=Slot.objects.none(), label=_("New session"), empty_label=_("Choose a session")
    )
    message = forms.CharField(
        label=_("Message to the customer (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots


class OrderCancelForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the customer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent by email with the cancellation."),
    )
    refund_cents = MoneyField(label=_("Amount to refund"), required=False)

    def __init__(self, *args, refund_left_cents: int, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.refund_left_cents, self.currency = refund_left_cents, currency
        if refund_left_cents:
            field = self.fields["refund_cents"]
            field.required, field.initial = True, refund_left_cents
            field.help_text = _(
                "At most %(amount)s (what is left to refund); less for a partial refund."
            ) % {"amount": format_money(refund_left_cents, currency)}
        else:
            del self.fields["refund_cents"]

    def clean_refund_cents(self):
        cents = self.cleaned_data.get("refund_cents")
        if cents is not None and not 0 < cents <= self.refund_left_cents:
            raise forms.ValidationError(
                _("Enter an amount above 0 and at most %(amount)s.")
                % {"amount": format_money(self.refund_left_cents, self.currency)},
                code="out_of_range",
            )
        return cents
