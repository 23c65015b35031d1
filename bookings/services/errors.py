"""The one domain error of bookings: a rule refused the action."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class BookingError(Exception):
    """A booking rule refused the action. `message` is safe to show; `field` names the form field;
    `link` (optional) is where the person can do what is needed instead."""

    def __init__(self, message: str, *, field: str | None = None, link: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field
        self.link = link


class SoldOut(BookingError):
    def __init__(self, seats_left: int):
        self.seats_left = seats_left
        if seats_left <= 0:
            message = _("Sorry, this session is sold out.")
        else:
            message = ngettext(
                "Sorry, only %(count)d seat is left for this session.",
                "Sorry, only %(count)d seats are left for this session.",
                seats_left,
            ) % {"count": seats_left}
        super().__init__(message)
