"""Customer pages: the list of published workshops and a workshop's page. No account needed."""

from datetime import UTC, datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from .. import page_cache
from ..selectors import storefront as selectors
from ..selectors import versions

WORKSHOPS_PER_PAGE = 12


def workshop_list(request):
    paginator = Paginator(selectors.published_workshops(), WORKSHOPS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "bookings/storefront/workshop_list.html",
        {"page_obj": page, "workshops": page.object_list},
    )


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


def _page_key(workshop_id: int, version: int) -> str:
    return f"storefront:page:{workshop_id}:{version}:{translation.get_language()}:{page_cache.code_version()}"


def workshop_detail(request, slug):
    """A workshop's page, cached whole under its database-kept version: never stale.

    One query reads the workshop's `PageVersion`, which triggers bump in the transaction of
    every write the page shows (slot, seat count, workshop, ticket type, artisan: through a
    service, the admin or raw SQL). The page holds nothing per visitor (no CSRF token, no
    user: the language switcher is a GET form), so the rendered bytes are kept under
    (workshop, version, language, code version) until the first shown slot starts, and
    served with an ETag (a revalidating browser gets a 304).
    Not cached: a request with a query string (the "more dates" pages: rarely visited, and
    any string would make a new entry), or with a flash message waiting for this visitor
    (the layout shows it).
    """
    cacheable = not request.GET and not _has_messages(request)
    if cacheable:
        # Read before the rows: what is rendered below is at least as new as this version.
        workshop_id, version = versions.published_workshop_version(slug=slug)
        key = _page_key(workshop_id, version)
        entry = page_cache.get(key)
        if entry is not None and timezone.now() < entry["valid_until"]:
            return _answer(request, HttpResponse(entry["content"]), entry["etag"])
    workshop = selectors.published_workshop(slug=slug)
    after = _parse_after(request.GET.get("after"))
    slots, next_after = selectors.workshop_upcoming_slots(workshop=workshop, after=after)
    days = selectors.group_by_local_date(slots, workshop.tzinfo)
    context = {
        "workshop": workshop,
        "artisan": workshop.artisan,
        "has_slots": bool(slots),
        "slot_days": days,
        "paged": after is not None,
        "next_after": next_after.astimezone(UTC).isoformat() if next_after else "",
    }
    response = render(request, "bookings/storefront/workshop_detail.html", context)
    if not cacheable:
        return response
    # The page changes when its first slot starts (it leaves the list) even if no row does.
    valid_until = slots[0].starts_at if slots else datetime.max.replace(tzinfo=UTC)
    etag = f'"{key.split(":", 2)[2]}:{int(valid_until.timestamp())}"'
    page_cache.set(key, {"content": response.content, "etag": etag, "valid_until": valid_until})
    return _answer(request, response, etag)


def _answer(request, response, etag: str):
    """`response` with its ETag, or a 304 when the browser already holds it."""
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    return _with_etag(response, etag)


def _with_etag(response, etag: str):
    response.headers["ETag"] = etag
    return response


def _has_messages(request) -> bool:
    """A flash message waits for this visitor (counted, not consumed)."""
    return bool(len(messages.get_messages(request)))
