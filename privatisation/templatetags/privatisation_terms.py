"""The terms each kind of customer gets (answer delay), worded for pages: "72 hours", "5 days"."""

from django import template
from django.utils.translation import ngettext

from ..services._common import respond_window
from ..states import RequestKind

register = template.Library()


def delay_words(hours: int) -> str:
    """A delay as people say it: whole days past three days ("5 days"), hours otherwise ("72 hours")."""
    if hours > 72 and hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}


@register.simple_tag
def answer_delay(kind: str = RequestKind.INDIVIDUAL) -> str:
    """How long the artisan has to answer a request of this kind, in words."""
    window = respond_window(kind == RequestKind.COMPANY)
    return delay_words(int(window.total_seconds() // 3600))
