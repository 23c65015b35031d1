"""Privatisation requests, their proposed slots, the offers (private slots held on the
artisan's calendar), the conversation, company quotes, and public-date suggestions.

The link to bookings lives here: an `Offer` points at the `bookings.Slot` it holds, and the
request points at the `bookings.Order` that paid for it. `bookings` never imports this app.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings.models import Order, Slot, StatusChange, Workshop, new_token

from .states import MessageAuthor, RequestKind, RequestStatus, SuggestionStatus


class PrivatisationRequest(models.Model):
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    workshop = models.ForeignKey(
        Workshop, on_delete=models.PROTECT, related_name="privatisation_requests"
    )
    kind = models.CharField(
        _("I am"), max_length=12, choices=RequestKind.choices, default=RequestKind.INDIVIDUAL
    )
    company_name = models.CharField(_("company name"), max_length=160, blank=True)
    billing_details = models.TextField(_("billing details"), max_length=1000, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=160)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("mobile phone"), max_length=20)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    # The customer's own time zone (from their browser), to show deadlines in it.
    customer_timezone = models.CharField(max_length=64, default=settings.DEFAULT_WORKSHOP_TIMEZONE)
    participants = models.PositiveIntegerField(_("participants"))
    message = models.TextField(_("message to the artisan"), max_length=4000)
    # Price snapshot (see services.pricing.private_price); a company's quote replaces it.
    seat_price_cents = models.PositiveIntegerField()
    billed_participants = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    respond_by = models.DateTimeField(_("answer before"), db_index=True)
    pay_by = models.DateTimeField(_("pay before"), null=True, blank=True, db_index=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The order that pays for the chosen offer (set when payment starts; confirmed when paid).
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("privatisation request")
        verbose_name_plural = _("privatisation requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(participants__gte=1), name="privreq_participants_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(billed_participants__gte=F("participants")),
                name="privreq_billed_gte_participants",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(pay_by__isnull=False),
                name="privreq_answered_has_pay_by",
            ),
            # One request in progress per customer and workshop (they may apply again once it ends).
            models.UniqueConstraint(
                fields=["workshop", "email"],
                condition=Q(status__in=["pending", "answered"]),
                name="privreq_one_open_per_customer",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "respond_by"]),
            models.Index(fields=["status", "pay_by"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.contact_name} — {self.workshop}"

    @property
    def is_company(self) -> bool:
        return self.kind == RequestKind.COMPANY

    @property
    def deadline(self):
        if self.status == RequestStatus.PENDING:
            return self.respond_by
        if self.status == RequestStatus.ANSWERED:
            return self.pay_by
        return None

    def is_overdue(self, now=None) -> bool:
        """Past its deadline: treated as expired everywhere, even before the beat job runs."""
        deadline = self.deadline
        return deadline is not None and deadline <= (now or timezone.now())

    def display_status(self, now=None) -> str:
        """The status a person should see (an overdue request reads as expired)."""
        return RequestStatus.EXPIRED if self.is_overdue(now) else self.status

    @property
    def lapsed_deadline(self):
        """For an expired (or overdue) request: which deadline passed and when.

        ("answer", respond_by) when the artisan never answered, ("payment", pay_by) when the customer
        did not choose and pay; None for a request that did not expire."""
        if self.status not in (
            RequestStatus.EXPIRED,
            RequestStatus.PENDING,
            RequestStatus.ANSWERED,
        ):
            return None
        if self.answered_at is None:
            return ("answer", self.respond_by)
        return ("payment", self.pay_by)

    def get_display_status_label(self, now=None) -> str:
        return RequestStatus(self.display_status(now)).label

    @property
    def amount_due_cents(self) -> int:
        quote = getattr(self, "quote", None) if self.is_company else None
        return quote.amount_cents if quote is not None else self.price_cents


class ProposedSlot(models.Model):
    request = models.ForeignKey(
        PrivatisationRequest, on_delete=models.CASCADE, related_name="proposed_slots"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="proposed_ends_after_start"
            ),
            models.UniqueConstraint(fields=["request", "starts_at"], name="proposed_unique_start"),
        ]

    def __str__(self):
        return f"{self.starts_at:%Y-%m-%d %H:%M}"


class Offer(models.Model):
    """A private slot held on the artisan's calendar for one request (accepted or offered)."""

    request = models.ForeignKey(
        PrivatisationRequest, on_delete=models.CASCADE, related_name="offers"
    )
    slot = models.OneToOneField(Slot, on_delete=models.PROTECT, related_name="privatisation_offer")
    # Set when the artisan accepted one of the customer's proposed slots.
    proposed = models.OneToOneField(
        ProposedSlot, on_delete=models.SET_NULL, null=True, blank=True, related_name="offer"
    )
    chosen = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slot__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(chosen=True), name="offer_one_chosen_per_request"
            ),
        ]

    def __str__(self):
        return f"offer #{self.pk} (request #{self.request_id})"


class Message(models.Model):
    """The conversation on a request, visible to both sides."""

    request = models.ForeignKey(
        PrivatisationRequest, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.CharField(max_length=10, choices=MessageAuthor.choices)
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.author}: {self.body[:40]}"


class Quote(models.Model):
    """A company request is answered with a quote that replaces the fixed price."""

    request = models.OneToOneField(
        PrivatisationRequest, on_delete=models.CASCADE, related_name="quote"
    )
    # The total the customer pays (VAT included when it applies): what payment charges.
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(max_length=3, default="EUR")
    valid_until = models.DateTimeField(_("valid until"))
    note = models.TextField(_("note"), max_length=4000, blank=True)
    # The quote number: per artisan and year, in sequence (services/quotes.py), never reused.
    reference = models.CharField(max_length=20, unique=True)
    # Snapshot at issue (a quote filed by accounts never changes when the artisan edits settings).
    net_cents = models.PositiveIntegerField(_("amount before tax (cents)"), null=True, blank=True)
    vat_rate_bp = models.PositiveIntegerField(_("VAT rate (basis points)"), null=True, blank=True)
    vat_cents = models.PositiveIntegerField(_("VAT (cents)"), default=0)
    vat_exemption_note = models.CharField(_("VAT exemption mention"), max_length=200, blank=True)
    seller_details = models.JSONField(_("artisan's legal details"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=1), name="quote_amount_gte_1"),
            # Before tax + VAT = total, whenever the breakdown is recorded.
            models.CheckConstraint(
                condition=Q(net_cents__isnull=True)
                | Q(amount_cents=F("net_cents") + F("vat_cents")),
                name="quote_total_is_net_plus_vat",
            ),
        ]

    def __str__(self):
        return self.reference


class DateSuggestion(models.Model):
    """A customer's wish for a new *public* date (not an exclusive session)."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="date_suggestions"
    )
    starts_at = models.DateTimeField(_("date and time"))
    message = models.TextField(_("message"), max_length=2000, blank=True)
    contact_name = models.CharField(_("name"), max_length=160)
    email = models.EmailField(_("email"))
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.NEW
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["workshop", "status"])]

    def __str__(self):
        return f"{self.workshop} — {self.starts_at:%Y-%m-%d %H:%M}"


class RequestStatusChange(StatusChange):
    """The request's history: every status change (written by `services.transitions` only)."""

    request = models.ForeignKey(
        PrivatisationRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    status_labels = dict(RequestStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("request status change")
        verbose_name_plural = _("request history")
