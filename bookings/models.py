import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .states import ActorKind, OrderSource, OrderStatus, PaymentEventKind, SlotKind, SlotStatus


def new_token() -> str:
    """An unguessable token for customer links: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_ticket_code() -> str:
    """A ticket code: 128 bits, URL-safe, printed on the ticket and in its QR code."""
    return secrets.token_urlsafe(16)


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
    bio = models.TextField(_("about"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    # Legal details printed on a company's quote (what its accounts need to file it).
    legal_name = models.CharField(_("business name"), max_length=160, blank=True)
    legal_address = models.TextField(_("business address"), blank=True)
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
    description = models.TextField(_("description"), blank=True)
    practical_info = models.TextField(_("practical information"), blank=True)
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
    description = models.TextField(_("description"), blank=True)
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
    cancel_message = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
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
    # Payment provider state.
    payment_provider = models.CharField(max_length=20, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    authorisation_expires_at = models.DateTimeField(null=True, blank=True)
    payment_error = models.TextField(blank=True)
    # True while the order's seats are counted in `slot.seats_taken` (released exactly once).
    holds_seats = models.BooleanField(default=False)
    decision_message = models.TextField(blank=True)
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

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="order_seats_gte_1"),
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

    class Meta:
        ordering = ["id"]

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
    """What a cached page shows has changed: a version per workshop ("w") and per artisan ("a").

    Written only by database triggers (migration 0003_perf_versions), never by Python: every
    insert, update or delete of a slot, workshop, ticket type or artisan — through a service,
    the admin or raw SQL — bumps the versions of the pages that show it, in the same
    transaction. The storefront workshop page and the back-office calendar key their cache
    and ETag on it (`selectors.versions`). A version is a microsecond timestamp, never less
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
