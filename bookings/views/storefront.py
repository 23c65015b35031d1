"""Customer pages: the list of published workshops and a workshop's page. No account needed."""

import functools
import hashlib
import logging
import pickle
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe

from ..selectors import storefront as selectors

WORKSHOPS_PER_PAGE = 12
# The rendered list of dates is reused while the data it shows is unchanged (its cache key
# is a digest of every row shown); the timeout only frees memory.
SLOT_LIST_CACHE_SECONDS = 600
SLOT_LIST_TEMPLATE = "bookings/storefront/_slot_days.html"
# The whole workshop page, by a digest of everything it shows (see workshop_detail).
PAGE_CACHE_KEY = "storefront:page:{digest}"
PAGE_CACHE_SECONDS = 600



logger = logging.getLogger(__name__)


def _cache_get(key: str):
    """The cache, or None when it is down (Redis stopped): the page renders without it."""
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - any cache backend failure
        logger.warning("Cache unavailable; rendering %s without it", key)
        return None


def _cache_set(key: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001 - went down meanwhile; the next view renders again
        logger.warning("Cache unavailable; %s is not kept", key)


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


@functools.cache
def _code_version() -> str:
    """A digest of what turns rows into HTML besides the rows: templates, translations, the
    static files manifest, this module and the template tags. A deploy that changes any of
    them changes every cache key and ETag (no old page served after a release)."""
    root = Path(settings.BASE_DIR)
    paths = [
        *sorted((root / "templates").rglob("*.html")),
        *sorted((root / "locale").rglob("*.mo")),
        *sorted((root / "bookings" / "templatetags").glob("*.py")),
        Path(__file__),
        Path(settings.STATIC_ROOT) / "staticfiles.json",
    ]
    digest = hashlib.blake2b(digest_size=8)
    for path in paths:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _content_digest(*parts) -> str:
    return hashlib.blake2b(pickle.dumps((_code_version(), parts)), digest_size=16).hexdigest()


def _fields(instance) -> list:
    return [str(value) if attname == "photo" else value
            for attname, value in ((f.attname, getattr(instance, f.attname)) for f in instance._meta.concrete_fields)]


def _slot_list_html(*, workshop, rows) -> str:
    """The dates of a workshop page, rendered once per distinct content.

    The key covers everything the fragment may show: the rows (ids, times, capacity, seats
    taken), every field of the workshop, the language. Any booking, cancellation, edit or
    slot that starts changes the rows, hence the key: never a stale seat count.
    """
    key = "storefront:slots:" + _content_digest(_fields(workshop), translation.get_language(), rows)
    html = _cache_get(key)
    if html is None:
        slots = selectors.slots_from_rows(rows, workshop=workshop)
        days = selectors.group_by_local_date(slots, workshop.tzinfo)
        html = render_to_string(SLOT_LIST_TEMPLATE, {"workshop": workshop, "slot_days": days})
        _cache_set(key, html, SLOT_LIST_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - rendered by our template, escaped there


def workshop_detail(request, slug):
    """A workshop's page, cached whole by content: never stale, whoever changed the rows.

    Both queries run on every request (the workshop with its artisan; one page of slot rows
    as plain tuples). The page is then a function of those rows, the language and the path
    only: it holds nothing per visitor (no CSRF token, no user: the language switcher is a
    GET form, and the layout's `hx-headers` is left out). So the rendered bytes are cached
    under a digest of exactly that, and served with it as ETag (a browser revalidating gets
    a 304). A booking, a cancelled slot, an edit, a slot that starts — made through a
    service, the admin or raw SQL — changes the rows, hence the key. A per-workshop version
    bumped by the services would also save the two queries, but it would trust every writer
    to bump it (the tests update rows directly); the digest cannot go stale.
    Not cached: a request with a query string (the "more dates" pages: rarely visited, and
    any string would make a new entry), or with a flash message waiting for this visitor
    (the layout shows it).
    """
    workshop = selectors.published_workshop(slug=slug)
    after = _parse_after(request.GET.get("after"))
    rows, next_after = selectors.workshop_upcoming_slot_rows(workshop=workshop, after=after)
    cacheable = not request.GET and not _has_messages(request)
    digest = _content_digest(
        _fields(workshop), _fields(workshop.artisan), translation.get_language(), request.path, rows, next_after
    ) if cacheable else None
    if digest:
        etag = f'"{digest}"'
        if etag in request.headers.get("If-None-Match", ""):
            return _with_etag(HttpResponseNotModified(), etag)
        content = _cache_get(PAGE_CACHE_KEY.format(digest=digest))
        if content is not None:
            return _with_etag(HttpResponse(content), etag)
    context = {
        "workshop": workshop,
        "artisan": workshop.artisan,
        "has_slots": bool(rows),
        "slot_list": _slot_list_html(workshop=workshop, rows=rows) if rows else "",
        "paged": after is not None,
        "next_after": next_after.astimezone(UTC).isoformat() if next_after else "",
    }
    response = render(request, "bookings/storefront/workshop_detail.html", context)
    if digest:
        _cache_set(PAGE_CACHE_KEY.format(digest=digest), response.content, PAGE_CACHE_SECONDS)
        _with_etag(response, f'"{digest}"')
    return response


def _with_etag(response, etag: str):
    response.headers["ETag"] = etag
    return response


def _has_messages(request) -> bool:
    """A flash message waits for this visitor (counted, not consumed)."""
    return bool(len(messages.get_messages(request)))
