"""Confirm-first orders: the artisan accepts or refuses them in bulk; captures, expiry,
reminders and digests. This app decides; bookings' services write the orders, seats and ledger.

- decisions: `orders_accept`, `orders_refuse`, `orders_retry_capture` (the DecisionBatch rows)
- captures:  `order_capture` (one task per order), `order_capture_failed`, `order_send_payment_link`,
             `captures_requeue_stuck`
- deadlines: `orders_expire_overdue`, `releases_requeue_missing`, `orders_send_reminders`,
             `artisans_send_digests`
- dispatch:  the tasks published after commit
"""

from . import captures, deadlines, decisions, dispatch  # noqa: F401
from ._common import OPEN_STATUSES, display_status, is_overdue  # noqa: F401
from .captures import (  # noqa: F401
    CAPTURE_LEASE,
    captures_requeue_stuck,
    order_capture,
    order_capture_failed,
    order_send_payment_link,
)
from .deadlines import (  # noqa: F401
    artisans_send_digests,
    orders_expire_overdue,
    orders_send_reminders,
    releases_requeue_missing,
)
from .decisions import orders_accept, orders_refuse, orders_retry_capture  # noqa: F401
from .errors import OrdersNotFound, PendingOrderError  # noqa: F401
