"""Django admin for the outbox: list, filters, search, the rendered body, the resend action."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notifications_notification_changelist")


def make(key, **fields):
    defaults = {
        "channel": "email",
        "recipient": "ada@example.com",
        "template": "bookings/emails/order_confirmed",
        "language": "en",
        "subject": "Your booking",
        "body_text": "Hello Ada",
        "idempotency_key": key,
    }
    return Notification.objects.create(**{**defaults, **fields})


def test_the_list_shows_filters_and_searches(admin_client):
    make("order:1:confirmed:email", status="sent", recipient="ada@example.com")
    make(
        "order:2:confirmed:email",
        status="failed",
        recipient="grace@example.com",
        last_error="bounced",
    )
    make(
        "order:2:confirmed:sms",
        channel="sms",
        status="failed",
        recipient="+33612345678",
        subject="",
        body_text="Atelier: see you",
    )

    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"ada@example.com" in response.content and b"grace@example.com" in response.content
    assert (
        b"Atelier: see you" in response.content
    )  # an SMS shows its text where an email shows its subject

    failed = admin_client.get(CHANGELIST, {"status__exact": "failed"}).content
    assert b"grace@example.com" in failed and b"ada@example.com" not in failed

    sms = admin_client.get(CHANGELIST, {"channel__exact": "sms"}).content
    assert b"+33612345678" in sms and b"grace@example.com" not in sms

    found = admin_client.get(CHANGELIST, {"q": "order:1:"}).content
    assert b"ada@example.com" in found and b"grace@example.com" not in found


def test_the_list_runs_the_same_queries_for_few_and_many_rows(admin_client):
    make("few:1")
    admin_client.get(CHANGELIST)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for n in range(40):
        make(f"many:{n}")
    with CaptureQueriesContext(connection) as many:
        admin_client.get(CHANGELIST)
    assert len(few) == len(many)


def test_the_detail_shows_the_rendered_bodies_read_only(admin_client):
    notification = make(
        "order:3:confirmed:email",
        body_text="Hello <Ada>",
        body_html='<html lang="fr"><body><p>Bonjour &lt;Ada&gt;</p><script>alert(1)</script></body></html>',
    )
    response = admin_client.get(
        reverse("admin:notifications_notification_change", args=[notification.pk])
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert '<pre class="notification-body">Hello &lt;Ada&gt;</pre>' in content
    assert "<script>alert(1)</script>" not in content  # never inline in the admin page
    assert 'name="status"' not in content  # nothing is editable by hand
    # The HTML is shown in a frame, served alone under a sandboxing policy: nothing in it runs.
    frame_url = reverse("admin:notifications_notification_html", args=[notification.pk])
    assert f'<iframe src="{frame_url}"' in content
    frame = admin_client.get(frame_url)
    assert frame.status_code == 200
    assert frame.content.decode() == notification.body_html
    policy = frame["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


def test_the_html_frame_needs_an_admin_login(client):
    notification = make("order:8:confirmed:email", body_html="<p>private</p>")
    response = client.get(reverse("admin:notifications_notification_html", args=[notification.pk]))
    assert response.status_code == 302
    assert "private" not in response.content.decode()


def test_there_is_no_add_or_delete(admin_client):
    assert admin_client.get(reverse("admin:notifications_notification_add")).status_code == 403
    notification = make("order:4:confirmed:email")
    url = reverse("admin:notifications_notification_delete", args=[notification.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_resend_requeues_a_failed_row_through_the_service_keeping_its_key(
    admin_client, celery_eager, fake_channel, django_capture_on_commit_callbacks
):
    notification = make("order:5:refused:email", status="failed", attempts=8, last_error="gave up")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "resend", "_selected_action": [notification.pk]}, follow=True
        )
    assert response.status_code == 200
    assert "1 notification queued again." in response.content.decode()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert notification.idempotency_key == "order:5:refused:email"
    assert Notification.objects.count() == 1
    assert fake_channel.sent == [notification.pk]


def test_resend_leaves_a_sent_row_alone_and_says_so(
    admin_client, fake_channel, django_capture_on_commit_callbacks
):
    notification = make("order:6:confirmed:email", status="sent")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "resend", "_selected_action": [notification.pk]}, follow=True
        )
    assert "1 notification was not failed and was left as it is." in response.content.decode()
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert fake_channel.sent == []


def test_staff_who_may_only_view_cannot_resend(client, django_user_model, fake_channel):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user(
        "viewer", password="pw-12345-long", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(viewer)
    notification = make("order:7:refused:email", status="failed")
    response = client.post(CHANGELIST, {"action": "resend", "_selected_action": [notification.pk]})
    assert response.status_code == 200  # the list again: the action is not offered
    notification.refresh_from_db()
    assert notification.status == "failed"
