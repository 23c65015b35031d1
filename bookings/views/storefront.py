"""Customer pages: the list of published workshops and a workshop's page. No account needed."""

from datetime import UTC

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..selectors import storefront as selectors

WORKSHOPS_PER_PAGE = 12


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


def workshop_detail(request, slug):
    workshop = selectors.published_workshop(slug=slug)
    after = _parse_after(request.GET.get("after"))
    slots, next_after = selectors.workshop_upcoming_slots(workshop=workshop, after=after)
    context = {
        "workshop": workshop,
        "artisan": workshop.artisan,
        "slot_days": selectors.group_by_local_date(slots, workshop.tzinfo),
        "has_slots": bool(slots),
        "paged": after is not None,
        "next_after": next_after.astimezone(UTC).isoformat() if next_after else "",
    }
    return render(request, "bookings/storefront/workshop_detail.html", context)
