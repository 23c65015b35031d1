import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower, Replace
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .states import (
    ActorKind,
    DateAlertStatus,
    GiftCardEntryKind,
    GiftCardSource,
    GiftCardStatus,
    MinimumDecision,
    OrderSource,
    OrderStatus,
    PaymentEventKind,
    SlotKind,
    SlotStatus,
)


def new_token() -> str:
    """An unguessable token for customer links: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_ticket_code() -> str:
    """A ticket code: 128 bits, URL-safe, printed on the ticket and in its QR code."""
    return secrets.token_urlsafe(16)


def ticket_code_key():
    """A ticket's code as the door compares it: lower case, without dashes (an index backs it).

    Codes are 128 random bits: folding case and dropping dashes leaves far more than enough."""
    return Lower(Replace("code", Value("-"), Value("")))


TIMEZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)


class Artisan(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="artisan"
    )
    display_name = models.CharField(_("display name"), max_length=120)
    slug = models.SlugField(unique=True, max_length=140)
    phone = models.CharField(
        _("mobile phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +33612345678")
    )
    bio = models.TextField(_("about"), max_length=4000, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    # Legal details printed on a company's quote (what its accounts need to file it).
    legal_name = models.CharField(_("business name"), max_length=160, blank=True)
    legal_address = models.TextField(_("business address"), max_length=500, blank=True)
    company_number = models.CharField(_("SIRET or company number"), max_length=40, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=40, blank=True)
    # VAT: a rate in basis points (2000 = 20 %), or null when VAT does not apply (e.g. art. 293 B du CGI).
    vat_rate_bp = models.PositiveIntegerField(_("VAT rate (basis points)"), null=True, blank=True)
    vat_exemption_note = models.CharField(_("VAT exemption mention"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vat_rate_bp__isnull=True) | Q(vat_rate_bp__lte=10000),
                name="artisan_vat_rate_lte_100pct",
            ),
        ]
        verbose_name = _("artisan")
        verbose_name_plural = _("artisans")

    def __str__(self):
        return self.display_name

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def subject_to_vat(self) -> bool:
        return self.vat_rate_bp is not None

    def legal_details(self) -> dict:
        """What a quote prints about the artisan (snapshotted on each quote at issue)."""
        return {
            "name": self.legal_name or self.display_name,
            "address": self.legal_address,
            "company_number": self.company_number,
            "vat_number": self.vat_number if self.subject_to_vat else "",
            "email": self.email,
            "phone": self.phone,
        }


class Workshop(models.Model):
    artisan = models.ForeignKey(Artisan, on_delete=models.CASCADE, related_name="workshops")
    title = models.CharField(_("title"), max_length=160)
    slug = models.SlugField(unique=True, max_length=180)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    practical_info = models.TextField(_("practical information"), max_length=4000, blank=True)
    photo = models.ImageField(_("photo"), upload_to="workshops/", blank=True)
    city = models.CharField(_("city"), max_length=100)
    address = models.CharField(_("address"), max_length=255, blank=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIMEZONE_CHOICES,
        default=settings.DEFAULT_WORKSHOP_TIMEZONE,
    )
    price_cents = models.PositiveIntegerField(_("price per seat (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=120)
    default_capacity = models.PositiveIntegerField(_("default capacity"), default=8)
    is_published = models.BooleanField(_("published"), default=False)
    privatisation_enabled = models.BooleanField(_("privatisation enabled"), default=False)
    private_min_capacity = models.PositiveIntegerField(_("private minimum participants"), default=1)
    private_max_capacity = models.PositiveIntegerField(
        _("private maximum participants"), default=10
    )
    # After the booking: free moves and cancellations until this many days before the start.
    change_deadline_days = models.PositiveSmallIntegerField(
        _("free changes until (days before)"), default=4
    )
    # Minimum participants (optional): checked `min_check_days` before the start, decided by
    # `min_decision_days` before (the system cancels without an answer).
    min_participants = models.PositiveSmallIntegerField(
        _("minimum participants"), null=True, blank=True
    )
    min_check_days = models.PositiveSmallIntegerField(
        _("check the minimum (days before)"), default=7
    )
    min_decision_days = models.PositiveSmallIntegerField(_("decide by (days before)"), default=4)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        constraints = [
            models.CheckConstraint(
                condition=Q(private_min_capacity__gte=1), name="workshop_private_min_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(private_min_capacity__lte=F("private_max_capacity")),
                name="workshop_private_min_lte_max",
            ),
            models.CheckConstraint(
                condition=Q(default_capacity__gte=1), name="workshop_capacity_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1), name="workshop_duration_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(min_participants__isnull=True) | Q(min_participants__gte=1),
                name="workshop_min_participants_gte_1",
            ),
            models.CheckConstraint(
                condition=Q(min_decision_days__lte=F("min_check_days")),
                name="workshop_min_decision_before_check",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def change_deadline(self, starts_at):
        """The last moment a booking of a slot starting at `starts_at` may be moved or
        cancelled for free (absolute time: a DST change does not shift it)."""
        return starts_at - timedelta(days=self.change_deadline_days)


class TicketType(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="ticket_types")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    price_cents = models.PositiveIntegerField(_("price (cents)"))
    requires_confirmation = models.BooleanField(
        _("must be confirmed and charged after confirmation"), default=False
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")

    def __str__(self):
        return self.name


class Slot(models.Model):
    """A dated session of a workshop.

    `seats_taken` counts the seats of orders that hold or own a place (awaiting payment,
    awaiting the artisan's confirmation within capacity, or confirmed); services change it with
    conditional updates under a row lock, and the database refuses any value above capacity.

    A private slot is held for one privatisation request; the link lives on the
    privatisation side (an offer pointing at the slot), so this app never imports it.
    """

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    seats_taken = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=SlotKind.choices, default=SlotKind.PUBLIC)
    status = models.CharField(max_length=10, choices=SlotStatus.choices, default=SlotStatus.OPEN)
    # Weekly series created together share a series id (to show them as one).
    series = models.UUIDField(null=True, blank=True, db_index=True)
    cancel_message = models.TextField(max_length=2000, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Minimum participants (bookings/services/minimum.py): the seats were counted at
    # `min_checked_at`; a slot below the minimum has a `min_decide_by` (absolute, set when the
    # artisan is asked); `min_decision` records the outcome and `min_decided_at` when.
    min_checked_at = models.DateTimeField(null=True, blank=True)
    min_decide_by = models.DateTimeField(null=True, blank=True, db_index=True)
    min_decision = models.CharField(
        max_length=10, choices=MinimumDecision.choices, blank=True, default=""
    )
    min_decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_gte_1"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="slot_seats_lte_capacity"
            ),
        ]
        indexes = [models.Index(fields=["workshop", "status", "starts_at"])]

    def __str__(self):
        return f"{self.workshop} — {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    def runs_with(self, minimum: int | None) -> bool:
        """Confirmed to run: the minimum `minimum` is reached, or the artisan upheld the slot."""
        return bool(minimum) and (
            self.seats_taken >= minimum or self.min_decision == MinimumDecision.UPHELD
        )


class Order(models.Model):
    """A customer's booking on one slot. Customers have no account: `token` is their key."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    reference = models.CharField(_("order number"), max_length=16, unique=True)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=24,
        choices=OrderStatus.choices,
        default=OrderStatus.PENDING_PAYMENT,
        db_index=True,
    )
    customer_name = models.CharField(_("name"), max_length=160)
    customer_email = models.EmailField(_("email"))
    customer_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    seats = models.PositiveIntegerField(_("seats"))
    total_cents = models.PositiveIntegerField(_("total (cents)"))
    currency = models.CharField(max_length=3, default="EUR")
    # Which flow made the order: see bookings/hooks.py.
    source = models.CharField(
        max_length=20, choices=OrderSource.choices, default=OrderSource.STOREFRONT, db_index=True
    )
    # Authorise now, capture when the artisan accepts.
    requires_confirmation = models.BooleanField(default=False)
    # Deadlines: the checkout hold, then (confirm-first orders) the artisan's decision.
    hold_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decide_by = models.DateTimeField(null=True, blank=True, db_index=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Reminders to the customer (bookings/services/reminders.py), each sent at most once.
    change_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    start_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Payment provider state.
    payment_provider = models.CharField(max_length=20, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    authorisation_expires_at = models.DateTimeField(null=True, blank=True)
    payment_error = models.TextField(blank=True)
    # True while the order's seats are counted in `slot.seats_taken` (released exactly once).
    holds_seats = models.BooleanField(default=False)
    decision_message = models.TextField(max_length=2000, blank=True)
    # After the booking (bookings/services/changes.py): moves the customer made (counted against
    # ATELIER_MAX_MOVES), the calendar file's SEQUENCE (one more each time the date changes), the
    # amount to refund when cancelled (None: what was charged), and, when the artisan cancelled the
    # date, until when the customer may choose another date or a refund.
    moves_count = models.PositiveSmallIntegerField(default=0)
    ics_sequence = models.PositiveIntegerField(default=0)
    refund_cents = models.PositiveIntegerField(null=True, blank=True)
    choose_by = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The booking form's one-time token: the same submission twice gives back this order.
    form_token = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="order_seats_gte_1"),
            models.UniqueConstraint(
                fields=["slot", "form_token"],
                condition=~Q(form_token=""),
                name="order_form_token_once_per_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "decide_by"]),
            models.Index(fields=["status", "hold_expires_at"]),
        ]

    def __str__(self):
        return self.reference

    @property
    def on_waiting_list(self) -> bool:
        """A confirm-first order placed beyond capacity: it holds no seat until accepted."""
        return (
            self.requires_confirmation
            and not self.holds_seats
            and self.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.AWAITING_CONFIRMATION)
        )


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # Null for lines with no ticket type (a private session priced by its request).
    ticket_type = models.ForeignKey(TicketType, on_delete=models.PROTECT, null=True, blank=True)
    label = models.CharField(max_length=160)
    quantity = models.PositiveIntegerField()
    unit_price_cents = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_gte_1")
        ]

    def __str__(self):
        return f"{self.quantity} × {self.label}"

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class Ticket(models.Model):
    """One seat of a confirmed order; its code is in the QR code."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tickets")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="tickets", null=True)
    code = models.CharField(max_length=32, unique=True, default=new_ticket_code, editable=False)
    label = models.CharField(max_length=160)
    created_at = models.DateTimeField(auto_now_add=True)
    # At the door (bookings/services/checkin.py): when and by whom the ticket was scanned.
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(ticket_code_key(), name="ticket_code_key"),
        ]

    def __str__(self):
        return f"{self.label} · {self.code[:8]}…"


class PaymentEvent(models.Model):
    """Append-only ledger: every authorise, capture, release, refund and failure."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payment_events")
    kind = models.CharField(max_length=12, choices=PaymentEventKind.choices)
    amount_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="EUR")
    provider = models.CharField(max_length=20)
    provider_ref = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_cents} {self.currency} ({self.provider})"


class WebhookEvent(models.Model):
    """A provider event already processed (replays are ignored)."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=120)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]

    def __str__(self):
        return f"{self.provider}:{self.event_id}"


class DevPayment(models.Model):
    """A payment on the local dev gateway (`make run` without Stripe): the provider's side."""

    reference = models.CharField(max_length=40, unique=True)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=255, blank=True)
    customer_email = models.EmailField(blank=True)
    manual_capture = models.BooleanField(default=False)
    status = models.CharField(max_length=20, default="requires_payment")
    return_url = models.CharField(max_length=500)
    cancel_url = models.CharField(max_length=500)
    metadata = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    capture_before = models.DateTimeField(null=True, blank=True)
    # Test switch: the card is declined when the authorisation is captured.
    decline_on_capture = models.BooleanField(default=False)
    captured_cents = models.PositiveIntegerField(default=0)
    refunded_cents = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "dev payment"

    def __str__(self):
        return f"{self.reference} {self.status}"


class PageVersion(models.Model):
    """What a cached page shows has changed: a version per workshop ("w") and per artisan ("a"),
    and per workshop for its booking forms ("f": as "w", but not bumped when only a slot's seats
    taken change; the booking page fills the seats left in at each display).

    Written only by database triggers (migrations 0003_perf_versions and 0014_form_version),
    never by Python: every insert, update or delete of a slot, workshop, ticket type or artisan —
    through a service, the admin or raw SQL — bumps the versions of the pages that show it, in
    the same transaction. The storefront workshop page, the booking page and the back-office
    calendar key their cache and ETag on it (`selectors.versions`). A version is a microsecond timestamp, never less
    than the last one plus 1: a restored backup or a flushed test database never hands out
    a version an older page was cached under.
    """

    kind = models.CharField(max_length=1)
    object_id = models.BigIntegerField()
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="page_version_unique")
        ]

    def __str__(self):
        return f"{self.kind}{self.object_id} v{self.version}"


class StatusChange(models.Model):
    """One row of an audit trail: when, from → to, who, and the message if any.

    Written only by the owner app's transition function (never by hand), so no move forgets it.
    """

    from_status = models.CharField(_("from"), max_length=24)
    to_status = models.CharField(_("to"), max_length=24)
    actor_kind = models.CharField(
        _("by"), max_length=10, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    # {status: label} of the model the history is of (set by each subclass).
    status_labels: dict = {}

    def __str__(self):
        return f"{self.from_status} → {self.to_status} ({self.actor_kind})"

    @property
    def from_label(self) -> str:
        return self.status_labels.get(self.from_status, self.from_status)

    @property
    def to_label(self) -> str:
        return self.status_labels.get(self.to_status, self.to_status)


class OrderStatusChange(StatusChange):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    status_labels = dict(OrderStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("order status change")
        verbose_name_plural = _("order history")


class SlotStatusChange(StatusChange):
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="status_changes")
    status_labels = dict(SlotStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("slot status change")
        verbose_name_plural = _("slot history")


class DateAlert(models.Model):
    """ "Tell me when new dates open": one email address following one workshop (no account).

    Pending until the link of the confirmation email is followed (double opt-in). Opening new
    public dates marks the active subscriptions due (`alert_due_at`, never sooner than a day
    after the last alert); the beat sweep sends one email listing the dates created since
    `dates_since`. After `DATE_ALERT_MAX` alerts the subscription ends. `token` is the key of
    the confirm and unsubscribe links. Written only by bookings/services/date_alerts.py.
    """

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="date_alerts")
    # Lower-cased: one row per address and workshop whatever its spelling.
    email = models.EmailField(_("email"))
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DateAlertStatus.choices,
        default=DateAlertStatus.PENDING,
    )
    created_at = models.DateTimeField(_("subscribed"), auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    alerts_sent = models.PositiveSmallIntegerField(_("alerts sent"), default=0)
    last_alert_at = models.DateTimeField(_("last alert"), null=True, blank=True)
    # The next alert lists the public dates created after this moment.
    dates_since = models.DateTimeField(null=True, blank=True)
    # New dates are waiting: the sweep sends them from this moment on.
    alert_due_at = models.DateTimeField(_("next alert due"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("date alert")
        verbose_name_plural = _("date alerts")
        constraints = [
            models.UniqueConstraint(fields=["workshop", "email"], name="date_alert_once"),
            models.CheckConstraint(condition=Q(alerts_sent__lte=3), name="date_alert_at_most_3"),
        ]
        indexes = [models.Index(fields=["status", "alert_due_at"])]

    def __str__(self):
        return f"{self.email} → {self.workshop}"


# --- gift cards ---------------------------------------------------------------------------------

# Letters and digits a person cannot mistake for another (no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V).
GIFT_CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
GIFT_CODE_LENGTH = 12  # 23^12 ≈ 2^54 codes, guessing rate-limited


def new_gift_code() -> str:
    """A gift card code, stored without dashes (shown `ABCD-EFGH-JKLM`)."""
    return "".join(secrets.choice(GIFT_CODE_ALPHABET) for _ in range(GIFT_CODE_LENGTH))


class GiftCard(models.Model):
    """An amount valid on any workshop until `expires_at`.

    Its balance is the sum of its ledger (`GiftCardEntry`); `balance_cents` is that sum, kept in
    the same transaction as each entry under the card's row lock, and the database refuses a
    negative one. Written only by `bookings/services/giftcards.py`.
    """

    code = models.CharField(_("code"), max_length=16, unique=True, default=new_gift_code)
    # The printable card's link (the code alone is not enough to open it).
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(
        max_length=16,
        choices=GiftCardStatus.choices,
        default=GiftCardStatus.PENDING_PAYMENT,
        db_index=True,
    )
    source = models.CharField(
        max_length=10, choices=GiftCardSource.choices, default=GiftCardSource.PURCHASE
    )
    amount_cents = models.PositiveIntegerField(_("value (cents)"))
    balance_cents = models.IntegerField(_("balance (cents)"), default=0)
    currency = models.CharField(max_length=3, default="EUR")
    expires_at = models.DateTimeField(_("valid until"), db_index=True)
    buyer_name = models.CharField(_("buyer's name"), max_length=160)
    buyer_email = models.EmailField(_("buyer's email"))
    # Blank: the card goes to the buyer, to print.
    recipient_name = models.CharField(_("recipient's name"), max_length=160, blank=True)
    recipient_email = models.EmailField(_("recipient's email"), blank=True)
    message = models.TextField(_("message"), blank=True)
    send_on = models.DateField(_("send on"), null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    # The booking it was made from (a cancelled order turned into a card).
    from_order = models.OneToOneField(
        "Order", on_delete=models.PROTECT, null=True, blank=True, related_name="gift_card_made"
    )
    # The buyer's payment.
    payment_provider = models.CharField(max_length=20, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_cents__gte=0), name="giftcard_balance_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(balance_cents__lte=F("amount_cents")),
                name="giftcard_balance_lte_value",
            ),
        ]

    def __str__(self):
        return self.display_code

    @property
    def display_code(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def for_print(self) -> bool:
        return not self.recipient_email


class GiftCardEntry(models.Model):
    """Append-only ledger of a gift card: signed amounts, one row per key."""

    gift_card = models.ForeignKey(GiftCard, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=GiftCardEntryKind.choices)
    amount_cents = models.IntegerField()
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="gift_card_entries"
    )
    idempotency_key = models.CharField(max_length=255, unique=True)
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("gift card entry")
        verbose_name_plural = _("gift card ledger")

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_cents:+d}"


class GiftCardStatusChange(StatusChange):
    gift_card = models.ForeignKey(GiftCard, on_delete=models.CASCADE, related_name="status_changes")
    status_labels = dict(GiftCardStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("gift card status change")
        verbose_name_plural = _("gift card history")
