"""Reads for the back-office sign-in (the form and django-axes' lockout key)."""

from django.contrib.auth import get_user_model


def canonical_username(value: str) -> str:
    """The stored username matching `value` case-insensitively (emails are usernames), else `value`
    trimmed and lower-cased: the same key for every spelling, for sign-in and for the lockout."""
    value = (value or "").strip()
    stored = (
        get_user_model()
        ._default_manager.filter(username__iexact=value)
        .values_list("username", flat=True)
    )
    return stored.first() or value.lower()
