"""Per-client rate limits for public forms (booking, privatisation request, suggestions, chat).

A fixed window counter in the cache (Redis in production), keyed by form and client IP
(`client_ip`, the address django-axes locks out too):

    @ratelimit_post("privatisation-request")
    def request_form(request, slug): ...

When over the limit the view is not called: the client gets a 429 page that says so.
"""

import functools
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

from .selectors.sign_in import canonical_username

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "20/h" → (20, 3600)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[-1]] * int(period[:-1] or 1)


def client_ip(request) -> str:
    """The client's address: the socket's, or, behind `TRUSTED_PROXY_COUNT` proxies, the address the
    outermost one saw (each proxy appends the address it received from to X-Forwarded-For, and the
    last one is the socket). What the client itself wrote in the header is never read."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if len(hops) < trusted:  # did not come through the proxies (or they are misconfigured)
        return remote
    try:
        return str(ipaddress.ip_address(hops[-trusted]))
    except ValueError:
        return remote


def hit(scope: str, request, rate: str | None = None) -> bool:
    """Count one attempt; True while the client is within the limit.

    A cache that is down (Redis stopped) lets the attempt through: a customer's booking
    matters more than the limit for the minute Redis is away.
    """
    limit, window = parse_rate(rate or settings.RATE_LIMIT_PUBLIC_FORMS)
    bucket = int(time.time() // window)
    key = f"rl:{scope}:{client_ip(request)}:{bucket}"
    try:
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
    except Exception:  # noqa: BLE001 - the cache is unavailable: fail open, say so in the log
        logger.warning("Cache unavailable; rate limit %s not counted", scope)
        return True
    return count <= limit


def ratelimit_post(scope: str, rate: str | None = None, *, rate_setting: str | None = None):
    """Limit the POSTs of a view per client; GETs are free. The rate is `rate`, else the setting
    named `rate_setting` (read at each request), else RATE_LIMIT_PUBLIC_FORMS."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            limit = rate or (getattr(settings, rate_setting) if rate_setting else None)
            if request.method == "POST" and not hit(scope, request, limit):
                return render(
                    request,
                    "includes/rate_limited.html",
                    {
                        "message": _(
                            "You have sent this form many times in a short while. Please wait a little and try again."
                        )
                    },
                    status=429,
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def axes_client_ip(request) -> str | None:
    """The client address for django-axes: `client_ip`, or None when it is not an IP address
    (a request built in code has no REMOTE_ADDR; axes stores the address in an IP column)."""
    value = client_ip(request)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def axes_username(request, credentials) -> str:
    """The username django-axes counts failures under: one key for every case of an email."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return canonical_username(value)
