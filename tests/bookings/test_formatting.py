"""Dates in the reader's language with the locale's own formats (Babel), and "d'Atelier"."""

import zoneinfo
from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from bookings.formatting import format_when, vat_rate_label

WHEN = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)  # 14:05 in Paris


@pytest.mark.parametrize(
    ("language", "style", "expected"),
    [
        ("en", "date", "1 Dec 2026"),
        ("fr", "date", "1 déc. 2026"),
        ("en", "long_datetime", "Tuesday, 1 December 2026, 14:05"),
        ("fr", "long_datetime", "mardi 1 décembre 2026, 14:05"),
        ("fr", "short_date", "1 déc."),
        ("fr", "long_datetime_no_year", "mardi 1 décembre, 14:05"),
        ("en", "time", "14:05"),
    ],
)
def test_a_date_reads_as_each_language_writes_it(language, style, expected):
    with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
        assert format_when(WHEN, style, language) == expected


def test_the_template_filter_uses_the_active_language_and_the_chosen_time_zone():
    template = Template(
        '{% load tz atelier %}{{ when|timezone:"America/New_York"|ldate:"datetime" }} · {{ day|ldate:"short_date" }}'
    )
    context = Context({"when": WHEN, "day": date(2026, 12, 4)})
    with translation.override("fr"):
        text = template.render(context)
    assert text == "1 déc. 2026, 08:05 · 4 déc."
    assert "Déc" not in text  # no capital mid-sentence


def test_an_unknown_style_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown date style"):
        format_when(WHEN, "fancy")


@pytest.mark.parametrize(
    ("language", "rate", "expected"), [("en", 2000, "20%"), ("fr", 550, "5,5\u00a0%")]
)
def test_vat_rate_reads_as_the_locale_writes_percentages(language, rate, expected):
    assert vat_rate_label(rate, language) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Atelier Terre", "À propos d’Atelier Terre"), ("Marie Dupont", "À propos de Marie Dupont")],
)
def test_french_elides_de_before_a_vowel(name, expected):
    template = Template(
        "{% load i18n atelier %}{% blocktranslate with of_name=name|of_name %}About {{ of_name }}{% endblocktranslate %}"
    )
    with translation.override("fr"):
        assert template.render(Context({"name": name})) == expected
    with translation.override("en"):
        assert template.render(Context({"name": name})) == f"About {name}"
