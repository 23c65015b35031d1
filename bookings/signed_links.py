"""Signed links for people who act without signing in (an artisan answering from an SMS).

A link carries one object's id, signed with the site's secret under a salt naming what the
link is for; a link for one purpose never opens another. The link's expiry is the deadline
stored on the row (a view checks it), so moving a deadline moves the link's expiry with it.
Shared by bookings and the upper apps (privatisation's "Manage the request" link).
"""

from django.core import signing


def link_sign(pk: int, *, salt: str) -> str:
    return signing.dumps(pk, salt=salt)


def link_unsign(signature: str, *, salt: str) -> int | None:
    """The id a link was signed for, or None for a tampered, truncated or forged one."""
    try:
        pk = signing.loads(signature, salt=salt)
    except signing.BadSignature:
        return None
    return pk if isinstance(pk, int) and not isinstance(pk, bool) else None
