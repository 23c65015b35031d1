from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import services, tasks
from notifications.channels import PermanentSendError, TransientSendError
from notifications.models import Notification
from notifications.services import (
    MAX_ATTEMPTS,
    SENDING_LEASE,
    OutgoingMessage,
    RetryLater,
    notification_enqueue,
    notification_resend,
    notification_send,
    notifications_enqueue_bulk,
    notifications_requeue_stuck,
)
from notifications.states import NotificationStatus

pytestmark = pytest.mark.django_db


# --- Enqueue: in the caller's transaction, published after commit, once per key -------------


def test_enqueue_writes_the_row_in_the_transaction_and_publishes_after_commit(
    enqueue_kwargs, celery_eager, fake_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            notification = notification_enqueue(**enqueue_kwargs())
            assert Notification.objects.filter(pk=notification.pk, status="queued").exists()
        assert fake_channel.sent == []  # nothing published before the commit
    assert len(callbacks) == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert fake_channel.sent == [notification.pk]


def test_a_rolled_back_change_leaves_no_row_and_sends_nothing(
    enqueue_kwargs, fake_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notification_enqueue(**enqueue_kwargs())
            raise RuntimeError("the booking failed")
    assert callbacks == []
    assert not Notification.objects.exists()


def test_the_same_key_makes_one_row_and_one_send(
    enqueue_kwargs, celery_eager, fake_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = notification_enqueue(**enqueue_kwargs())
        second = notification_enqueue(**enqueue_kwargs(recipient="other@example.com"))
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(callbacks) == 1
    assert fake_channel.sent == [first.pk]
    # Enqueued again after it was sent (a job run twice): still no second send.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_enqueue(**enqueue_kwargs())
    assert callbacks == []
    assert fake_channel.sent == [first.pk]


def test_no_recipient_means_no_notification(enqueue_kwargs):
    assert notification_enqueue(**enqueue_kwargs(channel="sms", recipient="")) is None
    assert not Notification.objects.exists()


def test_sms_recipient_is_stored_as_e164(enqueue_kwargs):
    notification = notification_enqueue(**enqueue_kwargs(channel="sms", recipient="06 12 34 56 78"))
    assert notification.recipient == "+33612345678"


@pytest.mark.parametrize(
    ("channel", "recipient"), [("sms", "12"), ("sms", "+33 6 12"), ("email", "not-an-address")]
)
def test_an_unreachable_recipient_gives_a_failed_row_and_no_send(
    enqueue_kwargs, fake_channel, django_capture_on_commit_callbacks, channel, recipient
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notification_enqueue(**enqueue_kwargs(channel=channel, recipient=recipient))
    assert notification.status == NotificationStatus.FAILED
    assert "unreachable recipient" in notification.last_error
    assert callbacks == []
    assert fake_channel.sent == []


# --- Bulk enqueue: many rows in one insert, one publish, the same rules as one row ----------


def _message(enqueue_kwargs, **overrides) -> OutgoingMessage:
    return OutgoingMessage(**enqueue_kwargs(**overrides))


def test_bulk_enqueue_writes_every_row_and_publishes_them_once_after_commit(
    enqueue_kwargs, celery_eager, fake_channel, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    real_apply_async = tasks.send_notifications.apply_async
    monkeypatch.setattr(services, "PUBLISH_CHUNK", 2)
    monkeypatch.setattr(
        tasks.send_notifications,
        "apply_async",
        lambda args, **kw: published.append(args[0]) or real_apply_async(args=args, **kw),
    )
    messages = [
        _message(enqueue_kwargs, key=f"test:{i}:email", recipient=f"p{i}@example.com")
        for i in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            rows = notifications_enqueue_bulk(messages=messages)
            assert fake_channel.sent == []  # nothing before the commit
    assert len(callbacks) == 1  # one on_commit for the whole batch
    assert [r.recipient for r in rows] == ["p0@example.com", "p1@example.com", "p2@example.com"]
    assert published == [[rows[0].pk, rows[1].pk], [rows[2].pk]]  # chunks of PUBLISH_CHUNK
    assert sorted(fake_channel.sent) == sorted(r.pk for r in rows)
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}


def test_bulk_enqueue_keeps_keys_unique_against_the_outbox_and_within_the_batch(
    enqueue_kwargs, fake_channel, django_capture_on_commit_callbacks
):
    before = notification_enqueue(**enqueue_kwargs(key="test:old:email"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = notifications_enqueue_bulk(
            messages=[
                _message(enqueue_kwargs, key="test:old:email", recipient="other@example.com"),
                _message(enqueue_kwargs, key="test:new:email"),
                _message(enqueue_kwargs, key="test:new:email", recipient="twice@example.com"),
            ]
        )
    assert rows[0].pk == before.pk
    assert rows[0].recipient == "ada@example.com"
    assert rows[1].recipient == "ada@example.com"
    assert Notification.objects.count() == 2
    assert len(callbacks) == 1


def test_bulk_enqueue_cleans_recipients_and_renders_like_one_by_one(enqueue_kwargs):
    one = notification_enqueue(
        **enqueue_kwargs(channel="sms", recipient="06 11 22 33 44", key="one:sms")
    )
    email = notification_enqueue(**enqueue_kwargs(language="fr", key="one:email"))
    bulk_sms, bulk_email, bad = notifications_enqueue_bulk(
        messages=[
            _message(enqueue_kwargs, channel="sms", recipient="06 11 22 33 44", key="bulk:sms"),
            _message(enqueue_kwargs, language="fr", key="bulk:email"),
            _message(enqueue_kwargs, channel="sms", recipient="12", key="bulk:bad"),
            _message(enqueue_kwargs, channel="sms", recipient="", key="bulk:none"),
        ]
    )
    assert bulk_sms.recipient == one.recipient == "+33611223344"
    assert (bulk_sms.body_text, bulk_email.subject, bulk_email.body_text, bulk_email.body_html) == (
        one.body_text,
        email.subject,
        email.body_text,
        email.body_html,
    )
    assert bad.status == NotificationStatus.FAILED
    assert not Notification.objects.filter(idempotency_key="bulk:none").exists()


def test_bulk_enqueue_of_nothing_new_publishes_nothing(
    enqueue_kwargs, django_capture_on_commit_callbacks
):
    notification_enqueue(**enqueue_kwargs())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert len(notifications_enqueue_bulk(messages=[_message(enqueue_kwargs)])) == 1
    assert callbacks == []


# --- Rendering: recipient's language, HTML + text, escaping ---------------------------------


def test_email_is_rendered_in_english(enqueue_kwargs):
    notification = notification_enqueue(**enqueue_kwargs(language="en"))
    assert notification.subject == "Hello Ada, your workshop on Monday 23 November"
    assert "Your workshop is on Monday 23 November." in notification.body_text
    assert notification.body_text.startswith("ATELIER")
    assert '<html lang="en">' in notification.body_html
    assert "<p>Your workshop is on Monday 23 November.</p>" in notification.body_html
    assert notification.language == "en"


def test_email_is_rendered_in_french(enqueue_kwargs):
    notification = notification_enqueue(**enqueue_kwargs(language="fr"))
    assert notification.subject == "Hello Ada, your workshop on lundi 23 novembre"
    assert "Your workshop is on lundi 23 novembre." in notification.body_text
    assert '<html lang="fr">' in notification.body_html
    # The shared layout's footer, from our own French catalogue.
    assert "ateliers" in notification.body_html
    assert "ateliers" in notification.body_text
    assert notification.language == "fr"


@pytest.mark.parametrize(("asked", "used"), [("fr-ca", "fr"), ("de", "en"), ("", "en")])
def test_an_unsupported_language_falls_back_to_a_supported_one(enqueue_kwargs, asked, used):
    notification = notification_enqueue(**enqueue_kwargs(language=asked))
    assert notification.language == used
    assert f'<html lang="{used}">' in notification.body_html


def test_user_input_is_escaped_in_html_and_left_readable_in_text(enqueue_kwargs):
    context = {
        "name": "O'Brien & fils\nBcc: victim@example.com",
        "when": timezone.now(),
        "message": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    }
    notification = notification_enqueue(**enqueue_kwargs(context=context))
    assert "<script>" not in notification.body_html
    assert "<img src=x" not in notification.body_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in notification.body_html
    assert "O&#x27;Brien &amp; fils" in notification.body_html
    # Plain text is not HTML: no entities in the text body or the subject.
    assert "O'Brien & fils" in notification.body_text
    assert '<script>alert("x")</script>' in notification.body_text
    assert notification.subject.startswith("Hello O'Brien & fils Bcc: victim@example.com,")
    assert "\n" not in notification.subject


def test_a_template_without_html_gives_a_text_only_email(enqueue_kwargs):
    notification = notification_enqueue(
        **enqueue_kwargs(template="notifications_test/emails/textonly")
    )
    assert notification.subject == "Plain"
    assert notification.body_text == "Only text for Ada.\n"
    assert notification.body_html == ""


def test_sms_is_rendered_from_its_own_short_template(enqueue_kwargs, settings):
    settings.SITE_URL = "https://atelier.example.com"
    notification = notification_enqueue(
        **enqueue_kwargs(channel="sms", recipient="+33612345678", language="fr")
    )
    assert notification.subject == ""
    assert notification.body_html == ""
    assert (
        notification.body_text
        == "Atelier: Ada, lundi 23 novembre. https://atelier.example.com/o/abc"
    )


def test_attachments_are_stored_with_the_row(enqueue_kwargs):
    attachment = services.Attachment("ticket.ics", b"BEGIN:VCALENDAR", "text/calendar")
    notification = notification_enqueue(**enqueue_kwargs(attachments=[attachment]))
    assert notification.attachments == [
        {
            "filename": "ticket.ics",
            "mimetype": "text/calendar",
            "content_b64": "QkVHSU46VkNBTEVOREFS",
        }
    ]


# --- Send: claim, call outside the transaction, record ---------------------------------------


@pytest.fixture
def queued(enqueue_kwargs, django_capture_on_commit_callbacks):
    """A queued notification whose publish was dropped (as if the broker lost it)."""
    with django_capture_on_commit_callbacks(execute=False):
        return notification_enqueue(**enqueue_kwargs())


def test_a_send_records_the_provider_message_id(queued, fake_channel):
    assert notification_send(notification_id=queued.pk) == NotificationStatus.SENT
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.provider_message_id) == ("sent", 1, "fake-1")
    assert queued.sent_at is not None


def test_a_transient_error_requeues_with_backoff_and_the_next_attempt_sends(queued, fake_channel):
    fake_channel.failures = [TransientSendError("503: try later")]
    with pytest.raises(RetryLater) as excinfo:
        notification_send(notification_id=queued.pk)
    assert excinfo.value.countdown == 30
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.last_error) == ("queued", 1, "503: try later")
    assert queued.queued_at > timezone.now() + timedelta(seconds=25)  # due after the backoff
    assert notification_send(notification_id=queued.pk) == NotificationStatus.SENT
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("sent", 2)
    assert fake_channel.sent == [queued.pk]


def test_backoff_doubles_and_is_capped():
    assert [services.retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert services.retry_delay(20) == 3600


def test_a_permanent_error_marks_failed_with_the_reason(queued, fake_channel):
    fake_channel.failures = [PermanentSendError("400 21211: invalid 'To' number")]
    assert notification_send(notification_id=queued.pk) == NotificationStatus.FAILED
    queued.refresh_from_db()
    assert (queued.status, queued.last_error) == ("failed", "400 21211: invalid 'To' number")


def test_the_last_attempt_failing_marks_failed(queued, fake_channel):
    Notification.objects.filter(pk=queued.pk).update(attempts=MAX_ATTEMPTS - 1)
    fake_channel.failures = [TransientSendError("timeout")]
    assert notification_send(notification_id=queued.pk) == NotificationStatus.FAILED
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert queued.attempts == MAX_ATTEMPTS
    assert queued.last_error == f"gave up after {MAX_ATTEMPTS} attempts: timeout"


@pytest.mark.parametrize("status", ["sending", "sent", "failed"])
def test_a_duplicate_task_for_a_row_not_queued_does_not_send(queued, fake_channel, status):
    Notification.objects.filter(pk=queued.pk).update(status=status)
    assert notification_send(notification_id=queued.pk) == status
    assert fake_channel.sent == []


def test_a_task_for_a_missing_row_does_nothing(fake_channel):
    assert notification_send(notification_id=123456) == "missing"


# --- Resend (admin action's service) ----------------------------------------------------------


def test_resend_requeues_a_failed_row_keeping_its_key(
    queued, fake_channel, celery_eager, django_capture_on_commit_callbacks
):
    Notification.objects.filter(pk=queued.pk).update(
        status="failed", attempts=3, last_error="bounced"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_resend(notification_ids=[queued.pk]) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.idempotency_key, queued.attempts) == (
        "sent",
        "test:1:greeting:email",
        1,
    )
    assert Notification.objects.count() == 1


def test_resend_leaves_rows_that_did_not_fail(queued, fake_channel):
    assert notification_resend(notification_ids=[queued.pk]) == 0
    queued.refresh_from_db()
    assert queued.status == "queued"


# --- Sweeper ----------------------------------------------------------------------------------


def test_the_sweeper_sends_a_row_the_broker_lost(
    queued, fake_channel, celery_eager, django_capture_on_commit_callbacks
):
    assert notifications_requeue_stuck() == 0  # too recent: its task may still be on its way
    later = timezone.now() + timedelta(minutes=3)
    assert notifications_requeue_stuck(now=later) == 1
    queued.refresh_from_db()
    assert queued.status == "sent"
    assert fake_channel.sent == [queued.pk]


def test_the_sweeper_is_safe_to_run_twice(queued, fake_channel, celery_eager):
    later = timezone.now() + timedelta(minutes=3)
    assert notifications_requeue_stuck(now=later) == 1
    assert notifications_requeue_stuck(now=later) == 0
    assert notifications_requeue_stuck(now=later + timedelta(minutes=3)) == 0  # sent: nothing left
    assert fake_channel.sent == [queued.pk]


def test_the_sweeper_republishes_without_sending_twice_when_the_first_task_arrives_late(
    queued, fake_channel, celery_eager
):
    later = timezone.now() + timedelta(minutes=3)
    notifications_requeue_stuck(now=later)
    # The original task, delayed in the broker, arrives after the sweeper's.
    assert notification_send(notification_id=queued.pk) == "sent"
    assert fake_channel.sent == [queued.pk]


def test_the_sweeper_waits_for_a_retry_backoff(queued, fake_channel):
    fake_channel.failures = [TransientSendError("429")]
    Notification.objects.filter(pk=queued.pk).update(attempts=4)
    with pytest.raises(RetryLater):
        notification_send(notification_id=queued.pk)  # 5th attempt: next in 480 s
    assert notifications_requeue_stuck(now=timezone.now() + timedelta(minutes=5)) == 0
    assert notifications_requeue_stuck(now=timezone.now() + timedelta(minutes=11)) == 1


def test_the_sweeper_retries_a_send_whose_worker_died(
    queued, fake_channel, celery_eager, django_capture_on_commit_callbacks
):
    Notification.objects.filter(pk=queued.pk).update(
        status="sending", attempts=1, queued_at=timezone.now()
    )
    assert (
        notifications_requeue_stuck(now=timezone.now() + SENDING_LEASE / 2) == 0
    )  # maybe still sending
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            notifications_requeue_stuck(now=timezone.now() + SENDING_LEASE + timedelta(seconds=1))
            == 1
        )
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("sent", 2)
    assert fake_channel.sent == [queued.pk]


def test_a_dead_send_out_of_attempts_is_marked_failed(queued, fake_channel):
    Notification.objects.filter(pk=queued.pk).update(
        status="sending", attempts=MAX_ATTEMPTS, queued_at=timezone.now()
    )
    notifications_requeue_stuck(now=timezone.now() + SENDING_LEASE + timedelta(seconds=1))
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert "worker stopped" in queued.last_error
    assert fake_channel.sent == []
