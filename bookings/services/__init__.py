"""bookings services, one module per flow. Other apps call these (never write bookings rows).

- transitions:   the one move per model (`order_move`, `slot_move`, bulk `orders_move`/`slots_move`),
                 locks, seats (`seats_take`, `seats_release`)
- ledger:        payment events and their keys (`ledger_key`, `payment_event_record`)
- orders_create: `order_place` (storefront), `order_create` (any flow, price as an argument)
- checkout:      `order_start_payment`, `order_apply_payment_state`, `order_confirm`, `decision_deadline`
- holds:         `order_expire_hold`, `orders_release_lapsed_holds`
- refunds:       `order_cancel_and_refund`, `orders_refund_for_cancelled_slot`, `order_settle_payment`,
                 `orders_settle_payments`, `order_release_authorisation`
- confirm_first: the Pending orders flow's moves (`orders_start_capture`, `order_record_capture`, …)
- private_slots: `slot_hold_private`, `slot_open_private`, `slots_release_held`, `slots_remove_empty`
- slots, workshops, artisans, payments: the back-office calendar, catalogue, accounts, webhooks
- changes:       after the booking: `order_change_options`, `order_rebook`, `order_cancel`,
                 `order_withdraw`, `order_resend_confirmation`, `orders_await_choice`,
                 `orders_refund_unchosen` (slots' `slot_cancel_as` is the one slot cancellation)
"""

from .checkout import (  # noqa: F401
    decision_deadline,
    hold_lapsed,
    order_apply_payment_state,
    order_confirm,
    order_context,
    order_start_payment,
)
from .errors import BookingError, SoldOut  # noqa: F401
from .holds import order_expire_hold, orders_release_lapsed_holds  # noqa: F401
from .ledger import ledger_key, payment_event_record  # noqa: F401
from .orders_create import LineSpec, order_create, order_place  # noqa: F401
from .refunds import (  # noqa: F401
    order_cancel_and_refund,
    order_release_authorisation,
    order_settle_payment,
    orders_refund_for_cancelled_slot,
    orders_settle_payments,
)
