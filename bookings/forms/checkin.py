"""The door's form: a ticket code, typed or filled in by the camera scanner."""

from django import forms
from django.utils.translation import gettext_lazy as _

# A QR code may hold a whole address: room for one, not for a novel.
CODE_MAX_LENGTH = 500


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Ticket code or order number"),
        max_length=CODE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
                "enterkeyhint": "go",
            }
        ),
    )
