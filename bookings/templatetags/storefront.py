"""Small formatting helpers for the storefront pages."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(minutes) -> str:
    """150 → "2 h 30", 120 → "2 h", 45 → "45 min" (translated)."""
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


@register.filter
def placeholder_tone(workshop) -> str:
    """One of four warm tones for a workshop without a photo (stable per workshop)."""
    return f"tone-{(workshop.pk or 0) % 4}"


@register.filter
def confirmed_to_run(slot, workshop) -> bool:
    """The slot reached its workshop's minimum participants (or the artisan upheld it)."""
    return slot.runs_with(workshop.min_participants)
