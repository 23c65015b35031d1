"""Django admin for ops: read what happened, search, filter; never edit a status by hand.

Status fields are read-only everywhere: a status changes only through a service (admin
actions call them). Artisans are created through `artisan_create` + `artisan_invite`.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.admin_tools import ViewOnlyAdminMixin

from .models import (
    GIFT_CODE_LENGTH,
    Artisan,
    DateAlert,
    GiftCard,
    GiftCardEntry,
    GiftCardStatusChange,
    Order,
    OrderLine,
    OrderStatusChange,
    PaymentEvent,
    Slot,
    SlotStatusChange,
    Ticket,
    TicketType,
    WebhookEvent,
    Workshop,
)
from .services.artisans import artisan_create, artisan_invite
from .services.date_alerts import date_alert_unsubscribe
from .services.errors import BookingError
from .services.giftcards import gift_code_normalise, giftcard_cancel, giftcard_extend
from .states import Actor

# Ops' "extend validity" action adds this many days (from the current expiry, or from now).
EXTEND_DAYS = 90


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Artisans -------------------------------------------------------------------------------


class ArtisanAddForm(forms.ModelForm):
    """Ops give an email; the account is created without a password and an invitation sent."""

    email = forms.EmailField(
        label=_("email"), help_text=_("The artisan signs in with it; the invitation goes there.")
    )

    class Meta:
        model = Artisan
        fields = ["email", "display_name", "phone", "language", "bio"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email


@admin.register(Artisan)
class ArtisanAdmin(admin.ModelAdmin):
    list_display = ["display_name", "email", "phone", "language", "workshop_count", "created_at"]
    list_filter = ["language", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["display_name", "slug", "user__email", "phone"]
    date_hierarchy = "created_at"
    readonly_fields = ["user", "created_at"]
    fields = ["user", "display_name", "slug", "phone", "language", "bio", "created_at"]
    actions = ["send_invitation"]
    add_form = ArtisanAddForm

    def get_queryset(self, request):

        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(n_workshops=Count("workshops"))
        )

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("workshops"), ordering="n_workshops")
    def workshop_count(self, obj):
        return obj.n_workshops

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = ArtisanAddForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ArtisanAddForm.Meta.fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        # clean_email already refused a known address; the service checks again under its transaction.
        artisan = artisan_create(
            email=data["email"],
            display_name=data["display_name"],
            phone=data.get("phone", ""),
            language=data["language"],
            bio=data.get("bio", ""),
        )
        artisan_invite(artisan=artisan)
        messages.success(
            request, _("Invitation sent to %(email)s.") % {"email": artisan.user.email}
        )
        return artisan

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description=_("Send the invitation again"))
    def send_invitation(self, request, queryset):
        count = 0
        for artisan in queryset.order_by("pk"):
            artisan_invite(artisan=artisan)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", count)
            % {"count": count},
            messages.SUCCESS,
        )


# --- Workshops and slots --------------------------------------------------------------------


class TicketTypeInline(admin.TabularInline):
    model = TicketType
    extra = 0
    fields = [
        "name",
        "price_cents",
        "requires_confirmation",
        "is_active",
        "position",
        "description",
    ]


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "artisan",
        "city",
        "price_cents",
        "currency",
        "is_published",
        "privatisation_enabled",
        "created_at",
    ]
    list_filter = [
        "is_published",
        "privatisation_enabled",
        "city",
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["title", "slug", "city", "artisan__display_name", "artisan__user__email"]
    list_select_related = ["artisan"]
    date_hierarchy = "created_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["artisan"]
    inlines = [TicketTypeInline]


class SlotAdminForm(forms.ModelForm):
    """The model's constraints, checked as form errors: seats_taken is read-only here, so Django's
    own constraint validation skips the ones that name it (and the database answered a 500)."""

    class Meta:
        model = Slot
        fields = ["workshop", "starts_at", "ends_at", "capacity"]  # the rest is read-only

    def clean(self):
        cleaned = super().clean()
        capacity = cleaned.get("capacity")
        if capacity is not None and self.instance.pk and capacity < self.instance.seats_taken:
            self.add_error(
                "capacity",
                _("%(taken)d seats are already booked: the capacity cannot be lower.")
                % {"taken": self.instance.seats_taken},
            )
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The end must be after the start."))
        return cleaned


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = SlotAdminForm
    list_display = ["starts_at", "workshop", "kind", "status", "seats_taken", "capacity"]
    list_filter = ["status", "kind", ("starts_at", admin.DateFieldListFilter)]
    search_fields = ["workshop__title", "workshop__artisan__display_name"]
    list_select_related = ["workshop"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["workshop"]
    # Seats are counted by the booking services; status moves through services.
    readonly_fields = [
        "kind",
        "status",
        "seats_taken",
        "series",
        "cancel_message",
        "cancelled_at",
        "created_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.orders.exists():
            # Customers are attached: the workshop (whose artisan sees them) and the times they
            # booked stay as they are; the artisan moves a booked slot from the back-office.
            fields += ["workshop", "starts_at", "ends_at"]
        return fields


# --- Orders and payments (read-only: money moves through services) ---------------------------


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["label", "ticket_type", "quantity", "unit_price_cents"]
    readonly_fields = fields


class TicketInline(ReadOnlyInline):
    model = Ticket
    fields = ["label", "code", "created_at", "checked_in_at", "checked_in_by"]
    readonly_fields = fields


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = [
        "created_at",
        "kind",
        "amount_cents",
        "currency",
        "provider",
        "provider_ref",
        "detail",
    ]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "created_at",
        "customer_name",
        "customer_email",
        "slot",
        "seats",
        "total_cents",
        "currency",
        "status",
        "source",
    ]
    list_filter = [
        "status",
        "source",
        "requires_confirmation",
        ("created_at", admin.DateFieldListFilter),
        ("slot__starts_at", admin.DateFieldListFilter),
    ]
    search_fields = [
        "reference",
        "customer_email",
        "customer_name",
        "customer_phone",
        "slot__workshop__title",
        "payment_intent_id",
    ]
    list_select_related = ["slot__workshop"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, TicketInline, PaymentEventInline]


@admin.register(PaymentEvent)
class PaymentEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "order",
        "kind",
        "amount_cents",
        "currency",
        "provider",
        "provider_ref",
    ]
    list_filter = ["kind", "provider", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["order__reference", "order__customer_email", "provider_ref", "idempotency_key"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id"]
    list_filter = ["provider", "event_type", ("received_at", admin.DateFieldListFilter)]
    search_fields = ["event_id", "event_type"]
    date_hierarchy = "received_at"


# --- History (the audit trail of status changes; read-only) ----------------------------------


class StatusChangeInline(ReadOnlyInline):
    """The rows the transition functions wrote: when, from → to, who, message."""

    fields = ["created_at", "from_status", "to_status", "actor_kind", "actor_user", "message"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    verbose_name_plural = _("history")


class OrderStatusChangeInline(StatusChangeInline):
    model = OrderStatusChange


class SlotStatusChangeInline(StatusChangeInline):
    model = SlotStatusChange


OrderAdmin.inlines = [*OrderAdmin.inlines, OrderStatusChangeInline]
SlotAdmin.inlines = [*SlotAdmin.inlines, SlotStatusChangeInline]


# --- Date alerts ("tell me when new dates open") ----------------------------------------------


@admin.register(DateAlert)
class DateAlertAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Subscriptions, read-only (the token of their links is never shown); ops may unsubscribe
    an address that asks (through the service)."""

    list_display = ["email", "workshop", "status", "alerts_sent", "created_at", "last_alert_at"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["email"]
    list_select_related = ["workshop"]
    fields = [
        "email",
        "workshop",
        "language",
        "status",
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "alerts_sent",
        "last_alert_at",
        "alert_due_at",
        "ended_at",
    ]
    readonly_fields = fields
    actions = ["unsubscribe"]

    @admin.action(description=_("Unsubscribe the selected addresses"))
    def unsubscribe(self, request, queryset):
        for alert_id in queryset.values_list("pk", flat=True):
            date_alert_unsubscribe(alert_id=alert_id)
        self.message_user(request, _("Unsubscribed."), messages.SUCCESS)


# --- Gift cards (read-only; cancel and extend through services, with a history row) ----------


class GiftCardEntryInline(ReadOnlyInline):
    model = GiftCardEntry
    fields = ["created_at", "kind", "amount_cents", "order", "message"]
    readonly_fields = fields
    ordering = ["created_at", "id"]


class GiftCardStatusChangeInline(StatusChangeInline):
    model = GiftCardStatusChange


@admin.register(GiftCard)
class GiftCardAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "display_code",
        "created_at",
        "status",
        "amount_cents",
        "balance_cents",
        "currency",
        "expires_at",
        "buyer_email",
        "recipient_email",
        "sent_at",
    ]
    list_filter = ["status", "source", ("expires_at", admin.DateFieldListFilter)]
    search_fields = ["code", "buyer_email", "recipient_email", "buyer_name", "recipient_name"]
    date_hierarchy = "created_at"
    inlines = [GiftCardEntryInline, GiftCardStatusChangeInline]
    actions = ["cancel_cards", "extend_cards"]

    def get_search_results(self, request, queryset, search_term):
        """A code is found however it is typed (any case, with or without dashes)."""
        code = gift_code_normalise(search_term)
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        if len(code) == GIFT_CODE_LENGTH:
            queryset |= self.model.objects.filter(code=code)
        return queryset, duplicates

    @admin.display(description=_("code"), ordering="code")
    def display_code(self, obj):
        return obj.display_code

    def has_ops_permission(self, request) -> bool:
        """Cancel and extend: ops who may change gift cards (the rows stay read-only)."""
        return request.user.has_perm("bookings.change_giftcard")

    @admin.action(description=_("Cancel the selected gift cards"), permissions=["ops"])
    def cancel_cards(self, request, queryset):
        actor = Actor.ops(request.user)
        for card in queryset.order_by("pk"):
            giftcard_cancel(gift_card_id=card.pk, actor=actor, message=_("cancelled by ops"))
        self.message_user(request, _("Gift cards cancelled."), messages.SUCCESS)

    @admin.action(
        description=lazy(
            lambda: (
                _("Extend the validity of the selected gift cards by %(days)s days")
                % {"days": EXTEND_DAYS}
            ),
            str,
        )(),
        permissions=["ops"],
    )
    def extend_cards(self, request, queryset):
        actor = Actor.ops(request.user)
        done, refused = 0, []
        for card in queryset.order_by("pk"):
            try:
                giftcard_extend(
                    gift_card_id=card.pk,
                    until=max(card.expires_at, timezone.now()) + timedelta(days=EXTEND_DAYS),
                    actor=actor,
                )
                done += 1
            except BookingError as exc:
                refused.append(f"{card.display_code}: {exc.message}")
        if done:
            self.message_user(request, _("Gift cards extended."), messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)
