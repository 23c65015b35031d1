"""Reminders to customers of confirmed orders, each at most once per order (beat, in batches).

- "Last day to move or cancel for free": `CHANGE_REMINDER_HOURS` before the workshop's change
  deadline (`Workshop.change_deadline`), only while that deadline is still ahead.
- "See you soon": `START_REMINDER_HOURS` before the start, with the address, the practical
  information (what to bring) and a link to the `.ics`.

Each reminder is stamped on the order (`change_reminder_sent_at`, `start_reminder_sent_at`)
under the order's lock, and its email and SMS carry an idempotency key: a job run twice, or two
workers at once, send one of each. Email, and SMS where the customer gave a number, in the
customer's language.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from notifications.services import OutgoingMessage, notifications_enqueue_bulk
from notifications.states import Channel

from ..localtime import in_utc
from ..models import Order, Workshop
from ..states import OrderStatus, SlotStatus
from .checkout import order_context
from .transitions import for_update

BATCH_SIZE = 500
MAX_BATCHES = 1000
CHANGE_REMINDER_HOURS = 24
START_REMINDER_HOURS = 48

CHANGE = "change"
START = "start"
STAMPS = {CHANGE: "change_reminder_sent_at", START: "start_reminder_sent_at"}
TEMPLATES = {
    CHANGE: "bookings/emails/order_reminder_change",
    START: "bookings/emails/order_reminder_start",
}


def _live() -> Q:
    return Q(status=OrderStatus.CONFIRMED, slot__status=SlotStatus.OPEN)


def _change_due_q(now) -> Q:
    """The change deadline (start − change_deadline_days) is ahead, by CHANGE_REMINDER_HOURS at
    most. One clause per distinct number of days (a handful), each on the indexed start."""
    window = timedelta(hours=CHANGE_REMINDER_HOURS)
    days_values = Workshop.objects.values_list("change_deadline_days", flat=True).distinct()
    due = Q(pk__in=[])
    for days in days_values:
        deadline_offset = timedelta(days=days)
        due |= Q(
            slot__workshop__change_deadline_days=days,
            slot__starts_at__gt=now + deadline_offset,
            slot__starts_at__lte=now + deadline_offset + window,
        )
    return _live() & due & Q(change_reminder_sent_at__isnull=True)


def _start_due_q(now) -> Q:
    return (
        _live()
        & Q(
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + timedelta(hours=START_REMINDER_HOURS),
        )
        & Q(start_reminder_sent_at__isnull=True)
    )


def _messages(order: Order, kind: str) -> list[OutgoingMessage]:
    context = {
        **order_context(order),
        "change_deadline": order.slot.workshop.change_deadline(order.slot.starts_at),
        "calendar_url": settings.SITE_URL
        + reverse("storefront:order_calendar", args=[order.token]),
    }
    return [
        OutgoingMessage(
            channel=channel,
            recipient=recipient,
            template=TEMPLATES[kind],
            context=context,
            language=order.language,
            key=f"order:{order.pk}:reminder_{kind}:{channel}",
        )
        for channel, recipient in (
            (Channel.EMAIL, order.customer_email),
            (Channel.SMS, order.customer_phone),
        )
    ]


def _send_batch(queryset, kind: str, now, batch_size: int) -> int:
    with transaction.atomic():
        orders = list(
            for_update(queryset, skip_locked=True)
            .select_related("slot__workshop__artisan")
            .prefetch_related("lines")
            .order_by("pk")[:batch_size]
        )
        if not orders:
            return 0
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(**{STAMPS[kind]: now})
        messages = []
        for order in orders:
            messages += _messages(order, kind)
        notifications_enqueue_bulk(messages=messages)
    return len(orders)


def orders_send_reminders(*, now=None, batch_size: int = BATCH_SIZE) -> dict:
    """Both reminders, in batches. Returns how many orders got each."""
    now = in_utc(now)
    sent = {}
    for kind, due in ((CHANGE, _change_due_q(now)), (START, _start_due_q(now))):
        sent[kind] = 0
        for _batch in range(MAX_BATCHES):
            count = _send_batch(Order.objects.filter(due), kind, now, batch_size)
            sent[kind] += count
            if count < batch_size:
                break
    return sent
