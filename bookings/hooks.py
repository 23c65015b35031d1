"""What other apps ask bookings to do when one of *their* orders changes.

An order carries a `source` ("storefront", "privatisation", …). An app that creates orders
registers, in its AppConfig.ready(), a function run inside the transaction that confirms
(or closes) an order of its source:

    from bookings.hooks import order_hooks
    order_hooks.register("privatisation", on_confirmed=request_paid, on_closed=request_payment_lapsed)

This keeps imports one way (privatisation → bookings) with the call visible at one place,
instead of a signal.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderHandlers:
    on_confirmed: Callable | None = None  # f(order) — the order was paid / captured
    on_closed: Callable | None = None  # f(order) — the order ended without confirmation


class OrderHooks:
    def __init__(self):
        self._handlers: dict[str, OrderHandlers] = {}

    def register(self, source: str, *, on_confirmed=None, on_closed=None) -> None:
        self._handlers[source] = OrderHandlers(on_confirmed=on_confirmed, on_closed=on_closed)

    def confirmed(self, order) -> None:
        handler = self._handlers.get(order.source)
        if handler and handler.on_confirmed:
            handler.on_confirmed(order)

    def closed(self, order) -> None:
        handler = self._handlers.get(order.source)
        if handler and handler.on_closed:
            handler.on_closed(order)


order_hooks = OrderHooks()
