"""Ops view of privatisation. Statuses are read-only: actions call the services."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from bookings.admin import StatusChangeInline

from .models import (
    DateSuggestion,
    Message,
    Offer,
    PrivatisationRequest,
    ProposedSlot,
    Quote,
    RequestStatusChange,
)
from .services.deadlines import privatisation_request_expire


class _ShownInline(admin.TabularInline):
    """Rows the services write (the customer's proposals, the artisan's offers, the chat): shown,
    never added here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ProposedSlotInline(_ShownInline):
    model = ProposedSlot
    readonly_fields = ["starts_at", "ends_at"]


class OfferInline(_ShownInline):
    model = Offer
    readonly_fields = ["slot", "proposed", "chosen", "created_at"]


class MessageInline(_ShownInline):
    model = Message
    readonly_fields = ["author", "body", "created_at"]


class PrivatisationRequestAdminForm(forms.ModelForm):
    """The model's constraints as form errors: `billed_participants` is read-only here, so Django's
    own constraint check skips the one that names it (and the database answered a 500)."""

    class Meta:
        model = PrivatisationRequest
        fields = ["company_name", "billing_details", "contact_name", "email", "language"]
        fields += ["participants", "message"]  # the rest is read-only (see the admin)

    def clean_participants(self):
        participants = self.cleaned_data["participants"]
        billed = self.instance.billed_participants if self.instance.pk else None
        if billed is not None and participants > billed:
            raise forms.ValidationError(
                _("%(billed)d participants were billed: the number cannot be higher.")
                % {"billed": billed}
            )
        return participants


@admin.register(PrivatisationRequest)
class PrivatisationRequestAdmin(admin.ModelAdmin):
    form = PrivatisationRequestAdminForm
    list_display = [
        "id",
        "contact_name",
        "workshop",
        "participants",
        "status",
        "respond_by",
        "pay_by",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["contact_name", "email", "company_name", "workshop__title"]
    list_select_related = ["workshop"]
    inlines = [ProposedSlotInline, OfferInline, MessageInline]
    # What the customer was told and billed, and the status (moved by the services), stay as they are.
    readonly_fields = [
        "token",
        "workshop",
        "kind",
        "phone",
        "customer_timezone",
        "status",
        "respond_by",
        "pay_by",
        "reminder_sent_at",
        "answered_at",
        "closed_at",
        "order",
        "seat_price_cents",
        "billed_participants",
        "price_cents",
        "currency",
        "created_at",
    ]
    actions = ["expire_if_overdue"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Expire the selected requests that are past their deadline"))
    def expire_if_overdue(self, request, queryset):
        count = sum(
            privatisation_request_expire(request_id=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request, _("%(count)s request(s) expired.") % {"count": count}, messages.SUCCESS
        )


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["reference", "request", "amount_cents", "currency", "valid_until"]
    readonly_fields = [
        "request",
        "amount_cents",
        "currency",
        "valid_until",
        "reference",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # a quote is made by the artisan's answer (services.respond), with its number

    def has_delete_permission(self, request, obj=None):
        return False  # a quote number is never reused nor lost


@admin.register(DateSuggestion)
class DateSuggestionAdmin(admin.ModelAdmin):
    list_display = ["workshop", "starts_at", "contact_name", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "slot", "decided_at", "token"]


# --- History (read-only) ---------------------------------------------------------------------


class RequestStatusChangeInline(StatusChangeInline):
    model = RequestStatusChange


PrivatisationRequestAdmin.inlines = [*PrivatisationRequestAdmin.inlines, RequestStatusChangeInline]
