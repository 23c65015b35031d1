"""The payment ledger: append-only `PaymentEvent` rows, one per key. The keys are built here only."""

from ..models import Order, PaymentEvent


def ledger_key(order_id: int, action: str, *suffix) -> str:
    """`order:<id>:<action>[:<suffix>…]` — the idempotency key of a ledger row or a gateway call.

    Actions: checkout, authorised, capture (gateway call), captured, failed, release, released,
    refund, close, payment-link.
    """
    return ":".join(["order", str(order_id), action, *(str(s) for s in suffix)])


def payment_event_record(
    order: Order,
    *,
    kind: str,
    key: str,
    amount_cents: int = 0,
    provider: str = "",
    provider_ref: str = "",
    detail: str = "",
) -> None:
    """Append a payment event once per key (a second call with the same key does nothing).

    One `INSERT … ON CONFLICT DO NOTHING` on the key's unique index: no read first, no
    savepoint, and a racing twin is absorbed by the index instead of raising."""
    PaymentEvent.objects.bulk_create(
        [
            PaymentEvent(
                idempotency_key=key,
                order=order,
                kind=kind,
                amount_cents=amount_cents,
                currency=order.currency,
                provider=provider or order.payment_provider or "none",
                provider_ref=provider_ref or order.payment_intent_id,
                detail=detail[:2000],
            )
        ],
        ignore_conflicts=True,
    )
