"""What the Pending orders flow decides. An order's own statuses and their transitions are
bookings' (`bookings.states.ORDER_TRANSITIONS`): this app asks bookings' services to move an
order and never moves one itself. A decision batch has no status of its own: it records what
the artisan decided (one of these actions), when, with what message, and for which orders;
each order's move is in the order's history."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DecisionAction(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    REFUSE = "refuse", _("Refuse")
    RETRY = "retry", _("Retry capture")
