"""Formatting for templates: money and dates per locale (Babel)."""

from decimal import Decimal

from babel.numbers import format_currency
from django import template
from django.utils import translation

from ..formatting import babel_locale, format_when

register = template.Library()


def format_money(cents: int, currency: str = "EUR", language: str | None = None) -> str:
    """12345, "EUR" → "€123.45" in English, "123,45 €" in French."""
    amount = Decimal(int(cents or 0)) / 100
    return format_currency(amount, currency, locale=babel_locale(language))


@register.filter
def money(cents, currency="EUR"):
    if cents is None or cents == "":
        return ""
    return format_money(cents, currency)


@register.filter
def ldate(value, style="datetime"):
    """A date or datetime in the active language's own format: `{{ slot.starts_at|ldate:"long_datetime" }}`.

    Styles are listed in bookings/formatting.py (STYLES); a `|timezone:` filter before it is honoured."""
    return format_when(value, style)


FRENCH_ELIDING = frozenset("aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")


@register.filter
def of_name(name) -> str:
    """A name after "of": French needs "de Marie" but "d'Atelier Terre" (elision before a vowel);
    other languages get the name alone (their sentence carries the preposition)."""
    name = str(name or "")
    if not (translation.get_language() or "").startswith("fr"):
        return name
    return f"d’{name}" if name[:1] in FRENCH_ELIDING else f"de {name}"
