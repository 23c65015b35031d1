"""The "tell me when new dates open" form: an email address (shape only; the service decides)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DateAlertForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "id": "date-alert-email"}),
    )
