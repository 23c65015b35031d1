from csp.decorators import csp_exempt
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .admin_tools import ViewOnlyAdminMixin
from .models import Notification
from .services import notification_resend


@admin.register(Notification)
class NotificationAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Read-only outbox: ops look, filter, search and resend failed rows; nothing is edited."""

    list_display = [
        "created_at",
        "status",
        "channel",
        "recipient",
        "summary",
        "attempts",
        "sent_at",
    ]
    list_filter = [
        "status",
        "channel",
        "language",
        "template",
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["recipient", "subject", "idempotency_key", "provider_message_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend"]
    fields = [
        "channel",
        "recipient",
        "language",
        "template",
        "idempotency_key",
        "status",
        "attempts",
        "provider_message_id",
        "last_error",
        "created_at",
        "queued_at",
        "sent_at",
        "subject",
        "rendered_text",
        "rendered_html",
        "attachment_names",
    ]
    readonly_fields = fields

    @admin.display(description=_("subject or text"))
    def summary(self, obj):
        text = obj.subject or obj.body_text
        return text if len(text) <= 70 else text[:69] + "…"

    @admin.display(description=_("text body"))
    def rendered_text(self, obj):
        return format_html('<pre class="notification-body">{}</pre>', obj.body_text)

    @admin.display(description=_("HTML body"))
    def rendered_html(self, obj):
        if not obj.body_html:
            return "—"
        # A frame: the email shows as the recipient sees it. Nothing in it runs: the frame's
        # response is sandboxed by its own Content-Security-Policy (see html_body_view).
        url = reverse("admin:notifications_notification_html", args=[obj.pk])
        return format_html(
            '<iframe src="{}" title="{}" width="640" height="560"></iframe>', url, obj.subject
        )

    def get_urls(self):
        html = self.admin_site.admin_view(self.html_body_view)
        return [
            path("<int:pk>/html/", html, name="notifications_notification_html"),
            *super().get_urls(),
        ]

    @csp_exempt()
    @xframe_options_sameorigin
    def html_body_view(self, request, pk):
        """The email's HTML alone, for the frame: its own styles apply, no script, no request out."""
        notification = get_object_or_404(Notification, pk=pk)
        if not self.has_view_permission(request, notification):
            raise PermissionDenied
        response = HttpResponse(notification.body_html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
        )
        return response

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
                ngettext(
                    "%(count)d notification queued again.",
                    "%(count)d notifications queued again.",
                    count,
                )
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
