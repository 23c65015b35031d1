from functools import cache

from .selectors import pending_orders_count


def pending_orders_badge(request):
    """`pending_orders_badge`: the count for the nav, queried only if a template shows it."""
    user = getattr(request, "user", None)
    artisan = getattr(user, "artisan", None) if user is not None and user.is_authenticated else None
    if artisan is None:
        return {}
    return {"pending_orders_badge": cache(lambda: pending_orders_count(artisan=artisan))}
