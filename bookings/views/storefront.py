"""Customer pages: the list of published workshops and a workshop's page. No account needed."""

import hashlib
import logging
import pickle
from datetime import UTC

from django.core.cache import cache
from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe

from ..selectors import storefront as selectors

logger = logging.getLogger(__name__)

WORKSHOPS_PER_PAGE = 12
# The rendered list of dates is reused while the data it shows is unchanged (its cache key
# is a digest of every row shown); the timeout only frees memory.
SLOT_LIST_CACHE_SECONDS = 600
SLOT_LIST_TEMPLATE = "bookings/storefront/_slot_days.html"


def workshop_list(request):
    paginator = Paginator(selectors.published_workshops(), WORKSHOPS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "bookings/storefront/workshop_list.html", {"page_obj": page, "workshops": page.object_list})


def _parse_after(value: str | None):
    """The "more dates" cursor: an ISO datetime; anything else means "from now"."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _slot_list_html(*, workshop, rows) -> str:
    """The dates of a workshop page, rendered once per distinct content.

    The key covers everything the fragment may show: the rows (ids, times, capacity, seats
    taken), every field of the workshop, the language. Any booking, cancellation, edit or
    slot that starts changes the rows, hence the key: never a stale seat count.
    """
    fields = [getattr(workshop, f.attname) for f in workshop._meta.concrete_fields]
    digest = hashlib.blake2b(
        pickle.dumps((fields, str(workshop.photo), translation.get_language(), rows)), digest_size=16
    ).hexdigest()
    key = f"storefront:slots:{digest}"
    try:
        html = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache (Redis) is down: render without it
        logger.warning("Cache unavailable; rendering the dates of %s", workshop.slug)
        html, key = None, None
    if html is None:
        slots = selectors.slots_from_rows(rows, workshop=workshop)
        days = selectors.group_by_local_date(slots, workshop.tzinfo)
        html = render_to_string(SLOT_LIST_TEMPLATE, {"workshop": workshop, "slot_days": days})
        if key is not None:
            try:
                cache.set(key, html, SLOT_LIST_CACHE_SECONDS)
            except Exception:  # noqa: BLE001 - went down meanwhile; the next view renders again
                logger.warning("Cache unavailable; the dates of %s are not kept", workshop.slug)
    return mark_safe(html)  # noqa: S308 - rendered by our template, escaped there


def workshop_detail(request, slug):
    workshop = selectors.published_workshop(slug=slug)
    after = _parse_after(request.GET.get("after"))
    rows, next_after = selectors.workshop_upcoming_slot_rows(workshop=workshop, after=after)
    context = {
        "workshop": workshop,
        "artisan": workshop.artisan,
        "has_slots": bool(rows),
        "slot_list": _slot_list_html(workshop=workshop, rows=rows) if rows else "",
        "paged": after is not None,
        "next_after": next_after.astimezone(UTC).isoformat() if next_after else "",
    }
    return render(request, "bookings/storefront/workshop_detail.html", context)
