"""Minimum participants: a public slot below its workshop's minimum is upheld or cancelled.

`min_check_days` before the start (`slots_minimum_check`, from beat), the confirmed seats of
each open public slot of a workshop with a minimum are counted once (`Slot.min_checked_at`).
Below the minimum, the artisan gets one email and one SMS with a signed link
(`minimum_decide_url`) to Uphold or Cancel, until `Slot.min_decide_by` (`min_decision_days`
before the start, an absolute time stored on the slot at the check). Without an answer by then
the system cancels the slot (`slots_minimum_expire`, from beat). A slot past its decision time is
treated as undecided-and-closed everywhere at once: the artisan's link says so, and
`slot_minimum_decide` refuses an artisan's answer under the lock.

The cancellation is the one slot cancellation of `services/slots.py` (`slot_cancel_as`), with the
acting artisan or the system and a reason; the decision is recorded on the slot
(`min_decision`, `min_decided_at`) and in its history.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.services import (
    OutgoingMessage,
    notification_enqueue,
    notifications_enqueue_bulk,
)
from notifications.states import Channel

from ..localtime import in_utc
from ..models import Order, Slot, Workshop
from ..signed_links import link_sign
from ..states import SYSTEM, Actor, MinimumDecision, OrderStatus, SlotKind, SlotStatus
from .errors import BookingError
from .slots import slot_cancel_as
from .transitions import for_update, slot_record

BATCH_SIZE = 500
MAX_BATCHES = 1000
MINIMUM_SALT = "bookings.minimum"
TEMPLATE = "bookings/emails/slot_below_minimum"


def minimum_decide_url(slot: Slot) -> str:
    """The artisan's signed link to uphold or cancel this slot (no sign-in; this slot only)."""
    path = reverse("backoffice:minimum_decide", args=[link_sign(slot.pk, salt=MINIMUM_SALT)])
    return settings.SITE_URL + path


def confirmed_seats(slot_ids) -> dict[int, int]:
    """Seats of confirmed orders, per slot (slots without any are absent)."""
    rows = (
        Order.objects.filter(slot_id__in=list(slot_ids), status=OrderStatus.CONFIRMED)
        .values("slot_id")
        .annotate(seats=Sum("seats"))
        .values_list("slot_id", "seats")
    )
    return dict(rows)


def _due_check_q(now) -> Q:
    """Open public slots of workshops with a minimum, `min_check_days` or less before the start,
    not counted yet. One clause per distinct number of days (a handful), so each stays indexed."""
    days_values = (
        Workshop.objects.filter(min_participants__isnull=False)
        .values_list("min_check_days", flat=True)
        .distinct()
    )
    by_days = Q(pk__in=[])
    for days in days_values:
        by_days |= Q(workshop__min_check_days=days, starts_at__lte=now + timedelta(days=days))
    return by_days & Q(
        kind=SlotKind.PUBLIC,
        status=SlotStatus.OPEN,
        starts_at__gt=now,
        min_checked_at__isnull=True,
        workshop__min_participants__isnull=False,
    )


def _locked_batch(queryset, batch_size: int) -> list[Slot]:
    return list(
        for_update(queryset, skip_locked=True)
        .select_related("workshop", "workshop__artisan", "workshop__artisan__user")
        .order_by("pk")[:batch_size]
    )


def _warning(slot: Slot, seats: int) -> list[OutgoingMessage]:
    workshop = slot.workshop
    artisan = workshop.artisan
    context = {
        "slot": slot,
        "workshop": workshop,
        "artisan": artisan,
        "seats": seats,
        "minimum": workshop.min_participants,
        "decide_url": minimum_decide_url(slot),
    }
    return [
        OutgoingMessage(
            channel=channel,
            recipient=recipient,
            template=TEMPLATE,
            context=context,
            language=artisan.language,
            key=f"slot:{slot.pk}:minimum:{channel}",
        )
        for channel, recipient in ((Channel.EMAIL, artisan.email), (Channel.SMS, artisan.phone))
    ]


def _check_locked(slots: list[Slot], now) -> int:
    """Count the seats of locked slots; ask the artisan about those below. Returns how many."""
    seats = confirmed_seats(s.pk for s in slots)
    below, messages = [], []
    for slot in slots:
        workshop = slot.workshop
        decide_by = slot.starts_at - timedelta(days=workshop.min_decision_days)
        taken = seats.get(slot.pk, 0)
        # Counted too late to ask (the minimum was set after the decision time): it runs.
        if taken < workshop.min_participants and decide_by > now:
            slot.min_decide_by = decide_by
            below.append(slot)
            messages += _warning(slot, taken)
    Slot.objects.filter(pk__in=[s.pk for s in slots]).update(min_checked_at=now)
    Slot.objects.bulk_update(below, ["min_decide_by"])  # one UPDATE … CASE for the batch
    notifications_enqueue_bulk(messages=messages)
    return len(below)


def slots_minimum_check(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """The check, in batches: returns how many artisans were asked to decide."""
    now = in_utc(now)
    due = _due_check_q(now)
    asked = 0
    for _batch in range(MAX_BATCHES):
        with transaction.atomic():
            slots = _locked_batch(Slot.objects.filter(due), batch_size)
            asked += _check_locked(slots, now)
        if len(slots) < batch_size:
            break
    return asked


def _awaiting(slot: Slot) -> bool:
    return (
        slot.status == SlotStatus.OPEN and slot.min_decide_by is not None and not slot.min_decision
    )


def minimum_is_open(slot: Slot, now=None) -> bool:
    """The artisan may still answer: asked, undecided, before the decision time."""
    return _awaiting(slot) and (now or timezone.now()) < slot.min_decide_by


def too_few_reason(language: str) -> str:
    """The cancellation message, in the artisan's language (as a message they typed would be)."""
    with translation.override(language):
        return _("Too few participants have booked this date, so it will not take place.")


def slot_minimum_decide(*, slot_id: int, uphold: bool, actor: Actor = SYSTEM, now=None) -> Slot:
    """Uphold or cancel a slot below its minimum. Idempotent: a slot already decided is returned
    as it is (a double tap changes nothing). The artisan answers until the decision time; the
    system cancels from then on."""
    now = in_utc(now)
    with transaction.atomic():
        slot = (
            for_update(Slot.objects.filter(pk=slot_id))
            .select_related("workshop", "workshop__artisan", "workshop__artisan__user")
            .first()
        )
        if slot is None:
            raise Slot.DoesNotExist
        if slot.min_decision or slot.status == SlotStatus.CANCELLED:
            return slot
        if not _awaiting(slot):
            raise BookingError(_("This date is not waiting for a decision."))
        late = now >= slot.min_decide_by
        if actor.kind != SYSTEM.kind and late:
            raise BookingError(_("The decision time has passed: this date is cancelled."))
        if actor.kind == SYSTEM.kind and not late:
            raise BookingError(_("The artisan may still decide."))
        if uphold:
            decision = MinimumDecision.UPHELD
            slot_record(slot, actor=actor, message=_("Upheld below the minimum participants."))
        elif late and _no_longer_below(slot):
            decision = MinimumDecision.REACHED
            slot_record(slot, actor=actor, message=_("The minimum was reached in time."))
        else:
            decision = MinimumDecision.EXPIRED if late else MinimumDecision.CANCELLED
            slot_cancel_as(
                slot_id=slot.pk,
                message=too_few_reason(slot.workshop.artisan.language),
                actor=actor,
            )
            slot.refresh_from_db()
        slot.min_decision, slot.min_decided_at = decision, now
        slot.save(update_fields=["min_decision", "min_decided_at"])
        if decision == MinimumDecision.EXPIRED:
            _tell_artisan_cancelled(slot)
        return slot


def _no_longer_below(slot: Slot) -> bool:
    """Bookings came after the artisan was asked (or the minimum was removed): no cancel."""
    minimum = slot.workshop.min_participants
    return minimum is None or confirmed_seats([slot.pk]).get(slot.pk, 0) >= minimum


def _tell_artisan_cancelled(slot: Slot) -> None:
    """The artisan did not answer: they learn the system cancelled the date (email)."""
    artisan = slot.workshop.artisan
    notification_enqueue(
        channel=Channel.EMAIL,
        recipient=artisan.email,
        template="bookings/emails/slot_minimum_cancelled",
        context={"slot": slot, "workshop": slot.workshop, "artisan": artisan},
        language=artisan.language,
        key=f"slot:{slot.pk}:minimum_cancelled:email",
    )


def slots_minimum_expire(*, now=None, limit: int = BATCH_SIZE) -> int:
    """Cancel the slots whose decision time passed without an answer (one at a time: each
    cancellation refunds its orders). Returns how many were cancelled this run."""
    now = in_utc(now)
    ids = list(
        Slot.objects.filter(
            status=SlotStatus.OPEN, min_decide_by__lte=now, min_decision="", ends_at__gt=now
        )
        .order_by("min_decide_by", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        try:
            slot = slot_minimum_decide(slot_id=pk, uphold=False, actor=SYSTEM, now=now)
        except BookingError:
            continue  # over already, or claimed meanwhile: nothing to cancel
        done += slot.min_decision == MinimumDecision.EXPIRED
    return done
