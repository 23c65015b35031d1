"""The bridge to bookings' orders and payment interface (the booking flow owns both)."""

from django.utils.translation import gettext as _

from .errors import PrivatisationError


def _orders():
    try:
        from bookings.services import orders
    except ImportError:  # pragma: no cover - until the booking flow is merged
        raise PrivatisationError(_("Online payment is not available yet. Please try again later.")) from None
    return orders


def create_order(*, request, slot, now):
    """A pending order for the whole private session, priced by the request (or its quote)."""
    raise PrivatisationError(_("Online payment is not available yet. Please try again later."))


def cancel_pending(*, order) -> None:
    pass


def start(*, order, return_url: str, cancel_url: str) -> str:
    raise PrivatisationError(_("Online payment is not available yet. Please try again later."))
