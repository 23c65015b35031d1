"""Wall-clock times in a workshop's time zone, as forms take them.

Python adds and subtracts aware datetimes of one zone on the wall clock: 10:00 + 2 hours on the
night the clocks go forward is 12:00 local, one hour later in absolute time. Durations are added
here in absolute time (`add_duration`), and a wall-clock time the DST change skips (02:30 in
March) or repeats (02:30 in October) is refused (`local_datetime`) instead of being guessed.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Dates the forms accept: the public forms and the back-office share the same bound.
MAX_DAYS_AHEAD = 2 * 365


def within_two_years(day: date) -> None:
    """Shape check of a date field: no further than two years ahead (year 9999 overflowed the date
    arithmetic); past dates within a year are left to the clearer "in the past" checks."""
    today = timezone.localdate()
    if not today - timedelta(days=365) <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(_("Choose a date within the next two years."), code="out_of_range")


def local_datetime(day: date, at: time, tz) -> datetime:
    """The aware datetime of a wall-clock time in `tz`; a ValidationError naming the time when the
    DST change skips it or makes it happen twice."""
    naive = datetime.combine(day, at.replace(tzinfo=None))
    aware = naive.replace(tzinfo=tz)
    params = {"time": at.strftime("%H:%M"), "date": day.strftime("%d/%m/%Y"), "zone": str(tz)}
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValidationError(
            _(
                "%(time)s does not exist on %(date)s in %(zone)s: the clocks go forward that night. "
                "Choose another time."
            ),
            code="nonexistent_time",
            params=params,
        )
    if aware.utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset():
        raise ValidationError(
            _(
                "%(time)s happens twice on %(date)s in %(zone)s: the clocks go back that night. Choose another time."
            ),
            code="ambiguous_time",
            params=params,
        )
    return aware


def add_duration(start: datetime, duration: timedelta) -> datetime:
    """`start` + `duration` in absolute time, given back in `start`'s zone."""
    return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """The absolute time between two aware datetimes (whatever their zones)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def in_utc(moment: datetime | None = None) -> datetime:
    """`moment` (default: now) in UTC, before adding days or hours to it: on an aware local time
    Python's arithmetic is wall-clock and a DST change would shift the result by an hour."""
    return (moment or timezone.now()).astimezone(UTC)


def site_today(now: datetime | None = None) -> date:
    """Today where the customers are (the default workshop time zone): a gift card's send day."""
    return timezone.localdate(now or timezone.now(), ZoneInfo(settings.DEFAULT_WORKSHOP_TIMEZONE))
