"""Formatting for templates: money per locale (Babel)."""

from decimal import Decimal

from babel.numbers import format_currency
from django import template
from django.utils import translation

register = template.Library()


def format_money(cents: int, currency: str = "EUR", language: str | None = None) -> str:
    """12345, "EUR" → "€123.45" in English, "123,45 €" in French."""
    language = (language or translation.get_language() or "en").replace("-", "_")
    amount = Decimal(int(cents or 0)) / 100
    return format_currency(amount, currency, locale=language)


@register.filter
def money(cents, currency="EUR"):
    if cents is None or cents == "":
        return ""
    return format_money(cents, currency)
