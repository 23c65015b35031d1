"""Rendered pages under versioned keys: a small per-process memory in front of the shared cache.

A key names everything a page depends on (an object's `PageVersion`, the language, the code
version…), so an entry never changes once written: a copy kept in this process is as fresh
as the shared cache's, and a hit costs no network round trip. The shared cache (Redis) lets
the other processes reuse a page one of them rendered; when it is down, pages render
without it.
"""

import functools
import hashlib
import logging
import threading
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.middleware.csrf import get_token

logger = logging.getLogger(__name__)

LOCAL_ENTRIES = 512
TIMEOUT_SECONDS = 600

_local: OrderedDict = OrderedDict()
_lock = threading.Lock()


@functools.cache
def code_version() -> str:
    """A digest of what turns rows into HTML besides the rows: templates, translations, the
    static files manifest and the template tags. A deploy that changes any of them changes
    every key and ETag (no old page served after a release)."""
    root = Path(settings.BASE_DIR)
    paths = [
        *sorted((root / "templates").rglob("*.html")),
        *sorted((root / "locale").rglob("*.mo")),
        *sorted((root / "bookings" / "templatetags").glob("*.py")),
        *sorted((root / "bookings" / "views").glob("*.py")),
        Path(settings.STATIC_ROOT) / "staticfiles.json",
    ]
    digest = hashlib.blake2b(digest_size=6)
    for path in paths:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def has_messages(request) -> bool:
    """A flash message waits for this visitor (counted, not consumed): the layout shows it, so
    the page is not cached."""
    return bool(len(messages.get_messages(request)))


def request_cacheable(request) -> bool:
    """Whether a page kept whole may answer this request: no query string (any string would
    make a new entry) and no flash message waiting for this visitor."""
    return not request.GET and not has_messages(request)


# A page kept whole is rendered with this in place of the CSRF token, the one thing in it that
# belongs to the visitor; `with_csrf_token` puts theirs in at each answer.
CSRF_SLOT = "atelier0csrf0token0slot"


def with_csrf_token(content: bytes, request) -> bytes:
    """`content` (rendered with `CSRF_SLOT`) with this request's CSRF token (the cookie is set
    if it is new)."""
    return content.replace(CSRF_SLOT.encode(), get_token(request).encode())


def get(key: str):
    with _lock:
        value = _local.get(key)
        if value is not None:
            _local.move_to_end(key)
            return value
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - any cache backend failure: render without it
        logger.warning("Cache unavailable; rendering %s without it", key)
        return None
    if value is not None:
        _remember(key, value)
    return value


def set(key: str, value, timeout: int = TIMEOUT_SECONDS) -> None:  # noqa: A001 - cache vocabulary
    _remember(key, value)
    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001 - went down meanwhile; this process still has it
        logger.warning("Cache unavailable; %s is not shared", key)


def clear_local() -> None:
    with _lock:
        _local.clear()


def _remember(key: str, value) -> None:
    with _lock:
        _local[key] = value
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
