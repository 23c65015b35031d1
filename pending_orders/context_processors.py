from functools import cache

from bookings.hooks import nav_badges

WAITING = "pending_orders_waiting"  # the nav badge (registered in apps.py)


def pending_orders_badge(request):
    """`pending_orders_badge`: the count for the nav (read with the artisan; else queried, and
    only if a template shows it)."""
    user = getattr(request, "user", None)
    artisan = getattr(user, "artisan", None) if user is not None and user.is_authenticated else None
    if artisan is None:
        return {}
    return {"pending_orders_badge": cache(lambda: nav_badges.count(artisan, WAITING))}
