"""Privatisation services, one module per flow. Every status change goes through these.

- pricing:     the private price (one function)
- submit:      the customer's request; date suggestions
- respond:     the artisan's answer (accept / offer / refuse, with a quote for companies)
- customer:    withdraw, choose an offer and pay, the payment hooks
- conversation: messages on a request
- deadlines:   expiry and reminders (the beat jobs)
- transitions: `request_move` / `requests_move`, the one way a request's status changes (with history)
- slots:       what this app says about the private slots it holds (bookings' slot hooks)
- payment:     the bridge to bookings' orders (created at the request's price) and payments

Slots, orders and the ledger are bookings' rows: these call bookings' services to write them.
"""

from .errors import PrivatisationError  # noqa: F401
from .pricing import Price, private_price  # noqa: F401
