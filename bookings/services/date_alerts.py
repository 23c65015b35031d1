"""Date alerts: "tell me when new dates open" on a workshop page (an email address, no account).

- `date_alert_subscribe`: one row per address and workshop; pending until the confirmation
  link is followed (double opt-in); at most one confirmation email an hour per row.
- `date_alert_confirm`, `date_alert_unsubscribe`, `date_alert_resume`: the token links.
- `date_alerts_mark_due`: called by the services that open public dates (`slot_create_series`),
  in their transaction, before the slots are written: the active subscriptions become due, at
  the earliest a day after their last alert.
- `date_alerts_send_due`: the beat sweep, in batches: one email per due subscription listing
  the public dates created since its last alert; the `DATE_ALERT_MAX`-th says it is the last,
  and the subscription ends.

Lock order: a service that opens dates locks the workshop's subscriptions before it inserts
its slots, and the sweep locks the subscriptions before it reads the slots, so a date is
never missed by a sweep running at the same moment (it goes in this email or the next one).
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import OutgoingMessage, notification_enqueue, notifications_enqueue_bulk
from notifications.states import Channel

from ..models import DateAlert, Slot, Workshop
from ..states import DATE_ALERT_TRANSITIONS, DateAlertStatus, SlotKind, SlotStatus, can_move
from .errors import BookingError

# Alerts per subscription; the last one says so, then the subscription ends.
DATE_ALERT_MAX = 3
# At most one alert a day per address and workshop.
ALERT_INTERVAL = timedelta(days=1)
# Dates opened one after the other (a morning at the calendar) go in one email.
GATHER = timedelta(minutes=30)
# A confirmation email is sent again at most this often (the same address typed twice).
CONFIRMATION_INTERVAL = timedelta(hours=1)
# An email lists this many dates at most, then "and N more" with the workshop's link.
DATES_LISTED = 12
BATCH_SIZE = 500
MAX_BATCHES = 1000

CONFIRM_TEMPLATE = "bookings/emails/date_alert_confirm"
ALERT_TEMPLATE = "bookings/emails/date_alert_new_dates"

ENDED = (DateAlertStatus.UNSUBSCRIBED, DateAlertStatus.COMPLETED)


def normalise_email(email: str) -> str:
    """One spelling per address: trimmed and lower-cased (the unique key of a subscription)."""
    return email.strip().lower()


def _move(alert: DateAlert, target: str, **fields) -> None:
    """Set the status after checking the table (the caller saves)."""
    if not can_move(DATE_ALERT_TRANSITIONS, alert.status, target):
        raise BookingError(_("This subscription cannot change that way."))
    alert.status = target
    for name, value in fields.items():
        setattr(alert, name, value)


def _locked(alert_id: int) -> DateAlert:
    return DateAlert.objects.select_for_update().select_related("workshop").get(pk=alert_id)


def _site(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def date_alert_links(alert: DateAlert) -> dict:
    """The absolute links an email about `alert` carries."""
    return {
        "confirm_url": _site("storefront:date_alert_confirm", alert.token),
        "unsubscribe_url": _site("storefront:date_alert_unsubscribe", alert.token),
        "workshop_url": _site("storefront:workshop", alert.workshop.slug),
    }


def date_alert_subscribe(*, workshop_id: int, email: str, language: str, now=None) -> DateAlert:
    """Follow a published workshop's new dates: a pending row and a confirmation email.

    The same address again gives the same row: nothing more if it is already subscribed, a new
    confirmation if the last one is more than an hour old; an ended subscription starts over.
    """
    now = now or timezone.now()
    email = normalise_email(email)
    with transaction.atomic():
        if not Workshop.objects.filter(pk=workshop_id, is_published=True).exists():
            raise BookingError(_("This workshop is not open for booking."))
        alert, _created = DateAlert.objects.get_or_create(
            workshop_id=workshop_id, email=email, defaults={"language": language}
        )
        alert = _locked(alert.pk)
        if alert.status == DateAlertStatus.ACTIVE:
            return alert
        alert.language = language
        if alert.status in ENDED:
            _move(
                alert,
                DateAlertStatus.PENDING,
                alerts_sent=0,
                confirmed_at=None,
                dates_since=None,
                alert_due_at=None,
                ended_at=None,
            )
        sent = alert.confirmation_sent_at
        if sent is None or sent <= now - CONFIRMATION_INTERVAL:
            alert.confirmation_sent_at = now
            notification_enqueue(
                channel=Channel.EMAIL,
                recipient=alert.email,
                language=alert.language,
                template=CONFIRM_TEMPLATE,
                context={"workshop": alert.workshop, **date_alert_links(alert)},
                key=f"date-alert:{alert.pk}:confirm:{int(now.timestamp())}",
            )
        alert.save()
        return alert


def date_alert_confirm(*, alert_id: int, now=None) -> DateAlert:
    """The confirmation link was followed (and its button pressed): alerts start from now."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = _locked(alert_id)
        if alert.status == DateAlertStatus.ACTIVE:
            return alert
        if alert.status != DateAlertStatus.PENDING:
            raise BookingError(
                _("This subscription has ended. Subscribe again from the workshop page.")
            )
        _move(alert, DateAlertStatus.ACTIVE, confirmed_at=now, dates_since=now)
        alert.save(update_fields=["status", "confirmed_at", "dates_since"])
        return alert


def date_alert_unsubscribe(*, alert_id: int, now=None) -> DateAlert:
    """No more alerts (one click from any alert email). Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = _locked(alert_id)
        if alert.status in ENDED:
            return alert
        _move(alert, DateAlertStatus.UNSUBSCRIBED, ended_at=now, alert_due_at=None)
        alert.save(update_fields=["status", "ended_at", "alert_due_at"])
        return alert


def date_alert_resume(*, alert_id: int, now=None) -> DateAlert:
    """Undo an unsubscribe from its page (the token proves the address: no new opt-in).

    Dates opened meanwhile are not sent: alerts start again from now.
    """
    now = now or timezone.now()
    with transaction.atomic():
        alert = _locked(alert_id)
        if alert.status == DateAlertStatus.ACTIVE:
            return alert
        if alert.status != DateAlertStatus.UNSUBSCRIBED or alert.confirmed_at is None:
            raise BookingError(
                _("This subscription has ended. Subscribe again from the workshop page.")
            )
        _move(alert, DateAlertStatus.ACTIVE, ended_at=None, dates_since=now)
        alert.save(update_fields=["status", "ended_at", "dates_since"])
        return alert


def date_alerts_mark_due(*, workshop_id: int, now=None) -> int:
    """New public dates of `workshop_id` are about to be written (in the caller's transaction):
    its active subscriptions become due. Locks them all first (see the module docstring).
    Returns how many became due now (the others already were)."""
    now = now or timezone.now()
    rows = list(
        DateAlert.objects.select_for_update()
        .filter(workshop_id=workshop_id, status=DateAlertStatus.ACTIVE)
        .order_by("pk")
    )
    due = [row for row in rows if row.alert_due_at is None]
    for row in due:
        earliest = now + GATHER
        if row.last_alert_at is not None:
            earliest = max(earliest, row.last_alert_at + ALERT_INTERVAL)
        row.alert_due_at = earliest
    DateAlert.objects.bulk_update(due, ["alert_due_at"])
    return len(due)


def _locked_due_batch(now, batch_size: int) -> list[DateAlert]:
    kwargs = {"of": ("self",)} if connection.features.has_select_for_update_of else {}
    if connection.features.has_select_for_update_skip_locked:
        kwargs["skip_locked"] = True
    return list(
        DateAlert.objects.select_for_update(**kwargs)
        .filter(status=DateAlertStatus.ACTIVE, alert_due_at__lte=now)
        .select_related("workshop__artisan")
        .order_by("pk")[:batch_size]
    )


def _new_slots(rows: list[DateAlert], now) -> dict[int, list[Slot]]:
    """{workshop id: its bookable public dates created since the oldest `dates_since` of rows}."""
    since = min(row.dates_since for row in rows)
    slots = Slot.objects.filter(
        workshop_id__in={row.workshop_id for row in rows},
        workshop__is_published=True,
        kind=SlotKind.PUBLIC,
        status=SlotStatus.OPEN,
        starts_at__gt=now,
        created_at__gt=since,
        seats_taken__lt=F("capacity"),
    ).order_by("starts_at", "pk")
    by_workshop: dict[int, list[Slot]] = {}
    for slot in slots:
        by_workshop.setdefault(slot.workshop_id, []).append(slot)
    return by_workshop


def _alert_message(alert: DateAlert, slots: list[Slot]) -> OutgoingMessage:
    workshop = alert.workshop
    listed = [
        {"slot": slot, "book_url": _site("storefront:book", workshop.slug, slot.pk)}
        for slot in slots[:DATES_LISTED]
    ]
    return OutgoingMessage(
        channel=Channel.EMAIL,
        recipient=alert.email,
        language=alert.language,
        template=ALERT_TEMPLATE,
        context={
            "workshop": workshop,
            "dates": listed,
            "more": max(len(slots) - DATES_LISTED, 0),
            "last": alert.alerts_sent >= DATE_ALERT_MAX,
            **date_alert_links(alert),
        },
        key=f"date-alert:{alert.pk}:{int(alert.confirmed_at.timestamp())}:alert:{alert.alerts_sent}",
    )


def _send_locked(rows: list[DateAlert], now) -> int:
    """One alert per row that has new dates (rows locked, due and active); the others are no
    longer due. Returns how many emails were written."""
    if not rows:
        return 0
    slots_of = _new_slots(rows, now)
    messages = []
    for alert in rows:
        new = [s for s in slots_of.get(alert.workshop_id, []) if s.created_at > alert.dates_since]
        alert.alert_due_at = None
        if not new:  # cancelled, full or unpublished meanwhile: nothing to say
            continue
        alert.alerts_sent += 1
        alert.last_alert_at = now
        alert.dates_since = max(now, *(s.created_at for s in new))
        if alert.alerts_sent >= DATE_ALERT_MAX:
            _move(alert, DateAlertStatus.COMPLETED, ended_at=now)
        messages.append(_alert_message(alert, new))
    DateAlert.objects.bulk_update(
        rows,
        ["alert_due_at", "alerts_sent", "last_alert_at", "dates_since", "status", "ended_at"],
    )
    notifications_enqueue_bulk(messages=messages)
    return len(messages)


def date_alerts_send_due(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """The beat sweep: every due subscription gets one email with its new dates (a sweep that
    runs late sends one email with everything since the last one). Returns emails written."""
    now = now or timezone.now()
    total = 0
    for _batch in range(MAX_BATCHES):
        with transaction.atomic():
            rows = _locked_due_batch(now, batch_size)
            total += _send_locked(rows, now)
        if len(rows) < batch_size:
            break
    return total
