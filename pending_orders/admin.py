"""Ops views of the flow: read-only rows; actions go through the services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from bookings.states import ActorKind

from . import services
from .models import DecisionBatch, PendingOrderState


@admin.register(DecisionBatch)
class DecisionBatchAdmin(admin.ModelAdmin):
    list_display = ("created_at", "artisan", "action", "asked", "done", "failed")
    list_filter = ("action",)
    search_fields = ("artisan__display_name",)
    readonly_fields = [f.name for f in DecisionBatch._meta.fields] + [
        "order_ids",
        "done_ids",
        "already_ids",
        "errors",
    ]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("asked"))
    def asked(self, obj):
        return len(obj.order_ids)

    @admin.display(description=_("done"))
    def done(self, obj):
        return len(obj.done_ids)

    @admin.display(description=_("not possible"))
    def failed(self, obj):
        return len(obj.errors)


@admin.register(PendingOrderState)
class PendingOrderStateAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "order_status",
        "capture_attempts",
        "capture_requested_at",
        "capture_claimed_at",
        "digest_sent_at",
    )
    list_select_related = ("order",)
    search_fields = ("order__reference",)
    readonly_fields = (
        "order",
        "order_status",
        "payment_error",
        "capture_attempts",
        "capture_requested_at",
        "capture_claimed_at",
        "digest_sent_at",
    )
    actions = ["retry_capture", "requeue_stuck_captures"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"))
    def order_status(self, obj):
        return obj.order.get_status_display()

    @admin.display(description=_("capture error"))
    def payment_error(self, obj):
        return obj.order.payment_error

    @admin.action(description=_("Retry the capture of the selected orders"))
    def retry_capture(self, request, queryset):
        per_artisan = {}
        for state in queryset.select_related("order__slot__workshop__artisan"):
            per_artisan.setdefault(state.order.slot.workshop.artisan, []).append(state.order_id)
        done = errors = 0
        for artisan, ids in per_artisan.items():
            batch = services.orders_retry_capture(
                artisan=artisan, order_ids=ids, actor=request.user, actor_kind=ActorKind.OPS
            )
            done += len(batch.done_ids)
            errors += len(batch.errors)
        self.message_user(
            request,
            _("%(done)s capture(s) started again, %(errors)s not possible.")
            % {"done": done, "errors": errors},
            messages.SUCCESS if not errors else messages.WARNING,
        )

    @admin.action(description=_("Re-publish captures stuck in 'capturing'"))
    def requeue_stuck_captures(self, request, queryset):
        count = services.captures_requeue_stuck()
        self.message_user(request, _("%(count)s capture(s) re-published.") % {"count": count})
