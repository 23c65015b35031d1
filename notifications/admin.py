from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Notification
from .services import notification_resend


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only outbox: ops look, filter, search and resend failed rows; nothing is edited."""

    list_display = ["created_at", "channel", "recipient", "summary", "template", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "language", "template", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["recipient", "subject", "idempotency_key", "provider_message_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend"]
    fields = [
        "channel", "recipient", "language", "template", "idempotency_key", "status", "attempts",
        "provider_message_id", "last_error", "created_at", "queued_at", "sent_at", "subject",
        "rendered_text", "rendered_html", "attachment_names",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("subject or text"))
    def summary(self, obj):
        return obj.subject or obj.body_text[:60]

    @admin.display(description=_("text body"))
    def rendered_text(self, obj):
        return format_html('<pre class="notification-body">{}</pre>', obj.body_text)

    @admin.display(description=_("HTML body"))
    def rendered_html(self, obj):
        if not obj.body_html:
            return "—"
        # A sandboxed frame: the email shows as the recipient sees it, and nothing in it runs.
        return format_html(
            '<iframe sandbox srcdoc="{}" title="{}" width="100%" height="480"></iframe>',
            obj.body_html,
            obj.subject,
        )

    @admin.display(description=_("attachments"))
    def attachment_names(self, obj):
        return ", ".join(item["filename"] for item in obj.attachments) or "—"

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.change_notification")

    @admin.action(description=_("Resend the selected failed notifications"), permissions=["resend"])
    def resend(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        count = notification_resend(notification_ids=ids)
        skipped = len(ids) - count
        if count:
            self.message_user(
                request,
                ngettext("%(count)d notification queued again.", "%(count)d notifications queued again.", count)
                % {"count": count},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notification was not failed and was left as it is.",
                    "%(count)d notifications were not failed and were left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
