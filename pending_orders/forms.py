from django import forms
from django.utils.translation import gettext_lazy as _

from bookings.models import Order, Workshop

from .states import DecisionAction


class FilterForm(forms.Form):
    workshop = forms.ModelChoiceField(
        queryset=Workshop.objects.none(),
        required=False,
        empty_label=_("All workshops"),
        label=_("Workshop"),
    )
    date_from = forms.DateField(
        required=False, label=_("Sessions from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("to"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, artisan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = Workshop.objects.filter(artisan=artisan).order_by(
            "title"
        )

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        workshop = data.get("workshop")
        return {
            "workshop_id": workshop.pk if workshop else None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "tz": workshop.tzinfo if workshop else None,
        }


class IdListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("Invalid selection."), code="invalid") from exc


class ActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(DecisionAction.ACCEPT, _("Accept")), (DecisionAction.REFUSE, _("Refuse"))]
    )
    order = IdListField(required=False)
    select_all = forms.BooleanField(required=False)
    message = forms.CharField(
        required=False,
        max_length=Order._meta.get_field("decision_message").max_length,
        label=_("Message to the customers (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirmed = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if not data.get("order") and not data.get("select_all"):
            raise forms.ValidationError(_("Tick at least one order."), code="empty")
        return data
