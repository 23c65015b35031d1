"""Dates and times in the reader's language, with the locale's own patterns (Babel, CLDR data).

Django's `date` filter applies one pattern to every language, which gives "1 Déc 2026" in French
(a capital mid-sentence, no abbreviation dot). Here a *style* names what is shown (a date, a date
and time, with the weekday…) and CLDR's skeletons give each language its own order, case and
punctuation: "1 Dec 2026, 14:00" / "1 déc. 2026, 14:00".
"""

import datetime as dt
import re
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_percent
from django.utils import timezone, translation

# CLDR "en" is American (12-hour clock, month first); the platform serves Europe, so its English is
# British: 24-hour clock, day first — as the rest of the site and its emails have always read.
BABEL_LOCALES = {"en": "en_GB"}

FULL, FULL_NO_YEAR = "full", "full-no-year"

# style → (date skeleton, time skeleton); None leaves that part out.
STYLES = {
    "date": ("yMMMd", None),  # 1 Dec 2026 · 1 déc. 2026
    "datetime": ("yMMMd", "Hm"),  # 1 Dec 2026, 14:00
    "short_date": ("MMMd", None),  # 1 Dec · 1 déc.
    "short_datetime": ("MMMd", "Hm"),  # 1 Dec, 14:00
    "weekday_datetime": ("yMMMEd", "Hm"),  # Tue 1 Dec 2026, 14:00 · mar. 1 déc. 2026, 14:00
    "weekday_short_datetime": ("MMMEd", "Hm"),  # Tue 1 Dec, 14:00
    "full_month_date": ("yMMMMd", None),  # 1 December 2026 · 1 décembre 2026
    "full_month_datetime": ("yMMMMd", "Hm"),
    # CLDR's own "full" date (skeleton matching would shorten the French weekday to "mar.").
    "long_date": (FULL, None),  # Tuesday 1 December 2026 · mardi 1 décembre 2026
    "long_datetime": (FULL, "Hm"),
    "long_datetime_no_year": (
        FULL_NO_YEAR,
        "Hm",
    ),  # Tuesday 1 December, 14:00 · mardi 1 décembre, 14:00
    "month": ("yMMMM", None),  # December 2026 · décembre 2026
    "weekday": ("EEE", None),  # Tue · mar.
    "time": (None, "Hm"),  # 14:00
}


def babel_locale(language: str | None = None) -> str:
    """The Babel locale of a Django language code (the active language by default)."""
    code = (language or translation.get_language() or "en").replace("-", "_")
    return BABEL_LOCALES.get(code, code)


def _unquote(pattern: str) -> str:
    # CLDR glue patterns quote their literal words ("{1} 'à' {0}"); '' is a quote itself.
    return re.sub(r"'([^']*)'", lambda m: m.group(1) or "'", pattern)


def format_when(value, style: str = "datetime", language: str | None = None) -> str:
    """`value` (an aware datetime, shown in the current time zone, or a date) in `style`."""
    if value is None or value == "":
        return ""
    if style not in STYLES:
        raise ValueError(f"Unknown date style {style!r}; one of {', '.join(STYLES)}")
    locale = Locale.parse(babel_locale(language))
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        # As Django's own filter: the time zone a `|timezone:` filter chose, else the active one.
        value = timezone.template_localtime(value)
    date_skeleton, time_skeleton = STYLES[style]
    if not isinstance(value, dt.datetime):
        time_skeleton = None
        if date_skeleton is None:
            return ""
    parts = {}
    if date_skeleton == FULL:
        parts["date"] = format_date(value, "full", locale=locale)
    elif date_skeleton == FULL_NO_YEAR:
        pattern = re.sub(r"[\s,.]*\by+\b", "", str(locale.date_formats["full"].pattern)).strip(" ,")
        parts["date"] = format_date(value, pattern, locale=locale)
    elif date_skeleton:
        parts["date"] = format_skeleton(date_skeleton, value, locale=locale)
    if time_skeleton:
        parts["time"] = format_skeleton(time_skeleton, value, locale=locale)
    if len(parts) == 1:
        return next(iter(parts.values()))
    glue = locale.datetime_formats.get("medium", "{1} {0}")
    return _unquote(str(glue)).replace("{1}", parts["date"]).replace("{0}", parts["time"])


def vat_rate_label(rate_bp: int, language: str | None = None) -> str:
    """A rate in basis points as the locale writes a percentage: 2000 → "20%" / "20 %", 550 → "5.5%" / "5,5 %"."""
    locale = Locale.parse(babel_locale(language))
    pattern = str(locale.percent_formats[None].pattern).replace("#,##0", "#,##0.##", 1)
    return format_percent(Decimal(int(rate_bp)) / 10000, format=pattern, locale=locale)
