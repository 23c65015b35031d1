from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Notification
from .services import notification_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "recipient", "subject", "template", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "language", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["recipient", "subject", "idempotency_key", "provider_message_id"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = [
        "channel", "recipient", "language", "template", "idempotency_key", "status", "attempts",
        "provider_message_id", "last_error", "created_at", "queued_at", "sent_at", "subject",
        "body_text", "body_html",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Resend the selected failed notifications"))
    def resend(self, request, queryset):
        count = notification_resend(notification_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d notification queued again.", "%(count)d notifications queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
