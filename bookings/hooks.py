"""What other apps hear of bookings' events, and what they may say about them.

Imports run one way (privatisation → bookings): the upper app registers its functions in its
AppConfig.ready(), bookings calls them at one visible place instead of a signal.

Orders: each order has a `source` (`OrderSource`); the flow that made it registers what runs
inside the transaction that confirms (or closes) one of its orders:

    order_hooks.register(OrderSource.PRIVATISATION, on_confirmed=request_paid, on_closed=request_payment_closed)

An event for a source nobody registered raises `MissingHook` (a flow that forgot would
otherwise lose its orders' news); a system check at start-up lists the sources without
handlers.

Slots: an app that ties a slot to something of its own (a private slot held for a request)
registers `slot_hooks.register(name, claims=f)`. Before the back-office shows or runs an edit,
a delete or a cancel of a slot, bookings asks `f(slot)`, which answers {action: SlotClaim}
for the actions it refuses (a message a person can read, a link to where to act instead):
the page hides those actions and shows the message; the service refuses them.

Navigation badges: an app whose back-office entry shows a count (requests to answer, orders
waiting) registers `nav_badges.register(name, rows=f)`, where `f(artisan_id=…, now=…)` is the
queryset of the rows counted. The signed-in artisan is read with every count in the same
query (`selectors.versions.artisan_of_user`, one subquery each): a page pays no query for its
badges, and a badge is as fresh as the page, whatever wrote the rows.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core import checks
from django.db.models import Func, IntegerField, Subquery
from django.utils import timezone

from .states import OrderSource


class MissingHook(LookupError):
    """An event for an order source (or a hook name) that nobody registered."""


@dataclass(frozen=True)
class OrderHandlers:
    on_confirmed: Callable  # f(order) — the order was paid / captured
    on_closed: Callable  # f(order) — the order ended without confirmation


def nothing(_obj) -> None:
    """The handler of a flow that has nothing to do on an event (said explicitly)."""


class OrderHooks:
    def __init__(self):
        self._handlers: dict[str, OrderHandlers] = {}

    def register(self, source: str, *, on_confirmed: Callable, on_closed: Callable) -> None:
        if not (callable(on_confirmed) and callable(on_closed)):
            raise TypeError("order hooks need both handlers (use bookings.hooks.nothing for none)")
        self._handlers[str(source)] = OrderHandlers(on_confirmed=on_confirmed, on_closed=on_closed)

    def _for(self, order) -> OrderHandlers:
        try:
            return self._handlers[str(order.source)]
        except KeyError:
            raise MissingHook(f"no order hooks registered for source {order.source!r}") from None

    def confirmed(self, order) -> None:
        self._for(order).on_confirmed(order)

    def closed(self, order) -> None:
        self._for(order).on_closed(order)

    def registered(self) -> set[str]:
        return set(self._handlers)


@dataclass(frozen=True)
class SlotClaim:
    """An upper app's word on a slot it holds: why the action is refused, and where to act."""

    message: str
    link: str = ""


class SlotHooks:
    # The actions the back-office offers on a slot.
    UPDATE, DELETE, CANCEL = "update", "delete", "cancel"
    ACTIONS = (UPDATE, DELETE, CANCEL)

    def __init__(self):
        self._handlers: dict[str, Callable] = {}

    def register(self, name: str, *, claims: Callable) -> None:
        """`claims(slot)` returns {action: SlotClaim} for the actions the app refuses on that slot."""
        if not callable(claims):
            raise TypeError("slot hooks need a claims function")
        self._handlers[name] = claims

    def claims(self, slot) -> dict[str, SlotClaim]:
        """Every action some app refuses on `slot` (the back-office hides them), with why."""
        found: dict[str, SlotClaim] = {}
        for claims in self._handlers.values():
            for action, claim in (claims(slot) or {}).items():
                if action not in self.ACTIONS:
                    raise MissingHook(f"unknown slot action {action!r}")
                found.setdefault(action, claim)
        return found

    def claim(self, slot, action: str) -> SlotClaim | None:
        return self.claims(slot).get(action)

    def registered(self) -> set[str]:
        return set(self._handlers)


class NavBadges:
    def __init__(self):
        self._rows: dict[str, Callable] = {}

    def register(self, name: str, *, rows: Callable) -> None:
        """`rows(artisan_id=…, now=…)`: the queryset of what the badge `name` counts."""
        if not callable(rows):
            raise TypeError("a nav badge needs a rows function")
        self._rows[name] = rows

    def annotations(self, artisan_id, now) -> dict:
        """{name: a subquery counting its rows}, to annotate onto the artisan's query."""
        return {
            name: Subquery(
                rows(artisan_id=artisan_id, now=now)
                .order_by()
                .values(n=Func("pk", function="COUNT", output_field=IntegerField()))[:1]
            )
            for name, rows in sorted(self._rows.items())
        }

    def count(self, artisan, name: str) -> int:
        """The badge's count: read with the artisan (see `annotations`), else queried now."""
        value = getattr(artisan, name, None)
        if value is None:
            value = self._rows[name](artisan_id=artisan.pk, now=timezone.now()).count()
        return value

    def counts(self, artisan) -> tuple[int, ...]:
        """Every badge's count, in name order (part of a cached page's key)."""
        return tuple(self.count(artisan, name) for name in sorted(self._rows))


order_hooks = OrderHooks()
slot_hooks = SlotHooks()
nav_badges = NavBadges()


@checks.register(checks.Tags.models)
def check_order_hooks(app_configs=None, **kwargs):
    """Every order source has its handlers once the apps are ready."""
    missing = sorted(set(OrderSource.values) - order_hooks.registered())
    return [
        checks.Error(
            f"No order hooks registered for source {source!r}.",
            hint="Register them in the AppConfig.ready() of the app that makes these orders.",
            id="bookings.E001",
        )
        for source in missing
    ]
