"""The back-office sign-in: artisans sign in with their email, whatever its case."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils.translation import gettext_lazy as _

from ..selectors.sign_in import canonical_username


class SignInForm(AuthenticationForm):
    username = UsernameField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self):
        return canonical_username(self.cleaned_data.get("username", ""))
