"""Who is told what. Every message of the flow is written here, in the caller's transaction."""

import logging

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from notifications.models import Notification
from notifications.services import notification_enqueue
from notifications.states import Channel

logger = logging.getLogger(__name__)
MANAGE_SALT = "privatisation.manage"
T = "privatisation/emails/"


def manage_signature(request_id: int) -> str:
    return signing.dumps(request_id, salt=MANAGE_SALT)


def manage_url(request) -> str:
    """The artisan's signed link to Manage the request (no sign-in; this request only)."""
    path = reverse("privatisation:manage_signed", args=[manage_signature(request.pk)])
    return settings.SITE_URL + path


def customer_url(request) -> str:
    return settings.SITE_URL + reverse("privatisation:customer_request", args=[request.token])


def _context(request, **extra) -> dict:
    workshop = request.workshop
    return {
        "req": request,
        "workshop": workshop,
        "artisan": workshop.artisan,
        "customer_url": customer_url(request),
        "manage_url": manage_url(request),
        "customer_tz": request.customer_timezone,
        "workshop_tz": workshop.timezone,
        "SITE_URL": settings.SITE_URL,
        **extra,
    }


def _email_and_sms(
    request, side: str, *, recipient_email, phone, language, event, sms, template_event, extra, attachments=()
):
    """The email of one event to one side of the request (with its attachments), and its SMS when
    asked (one key each)."""
    context = _context(request, **extra)
    template = f"{T}{side}_{template_event or event}"
    channels = [(Channel.EMAIL, recipient_email)] + ([(Channel.SMS, phone)] if sms else [])
    for channel, recipient in channels:
        notification_enqueue(
            channel=channel, recipient=recipient, template=template, context=context, language=language,
            key=f"privreq:{request.pk}:{event}:{side}:{channel}",
            attachments=attachments if channel == Channel.EMAIL else (),
        )


def to_customer(
    request, event: str, *, sms: bool = False, template_event: str | None = None, attachments=(), **extra
):
    _email_and_sms(
        request, "customer", recipient_email=request.email, phone=request.phone, language=request.language,
        event=event, sms=sms, template_event=template_event, extra=extra, attachments=attachments,
    )


def to_artisan(request, event: str, *, sms: bool = False, template_event: str | None = None, **extra):
    artisan = request.workshop.artisan
    _email_and_sms(
        request, "artisan", recipient_email=artisan.email, phone=artisan.phone, language=artisan.language,
        event=event, sms=sms, template_event=template_event, extra=extra,
    )


def _render(channel, template, context, language, compiled: dict):
    """Render like notifications does, compiling each template once per batch."""

    def load(name):
        if name not in compiled:
            try:
                compiled[name] = get_template(name)
            except TemplateDoesNotExist:
                compiled[name] = None
        return compiled[name]

    with translation.override(language):
        context = {**context, "language": language}
        if channel == Channel.SMS:
            return "", load(f"{template}.sms.txt").render(context).strip(), ""
        subject = " ".join(load(f"{template}.subject.txt").render(context).split())
        text = load(f"{template}.txt").render(context).strip() + "\n"
        html_template = load(f"{template}.html")
        html = html_template.render(context) if html_template else ""
        return subject, text, html


def bulk_for_requests(
    requests, event: str, *, customer_email: bool = True, customer_sms: bool = False,
    artisan_email: bool = False, artisan_sms: bool = False,
):
    """The same messages as to_customer/to_artisan for many requests, in two queries.

    Used by the beat jobs (thousands of rows): the keys are the same as the one-by-one path,
    so a row is never told twice whichever path ran.
    """
    specs = []
    for request in requests:
        artisan = request.workshop.artisan
        context = _context(request)
        base = f"privreq:{request.pk}:{event}"
        if customer_email:
            specs.append((Channel.EMAIL, request.email, f"{T}customer_{event}", context, request.language, f"{base}:customer:email"))
        if customer_sms:
            specs.append((Channel.SMS, request.phone, f"{T}customer_{event}", context, request.language, f"{base}:customer:sms"))
        if artisan_email:
            specs.append((Channel.EMAIL, artisan.email, f"{T}artisan_{event}", context, artisan.language, f"{base}:artisan:email"))
        if artisan_sms:
            specs.append((Channel.SMS, artisan.phone, f"{T}artisan_{event}", context, artisan.language, f"{base}:artisan:sms"))
    specs = [s for s in specs if s[1]]
    if not specs:
        return []
    existing = set(
        Notification.objects.filter(idempotency_key__in=[s[5] for s in specs]).values_list("idempotency_key", flat=True)
    )
    now = timezone.now()
    rows = []
    compiled = {}
    for channel, recipient, template, context, language, key in specs:
        if key in existing:
            continue
        subject, text, html = _render(channel, template, context, language, compiled)
        rows.append(
            Notification(
                channel=channel, recipient=recipient, template=template, language=language,
                subject=subject[:255], body_text=text, body_html=html, idempotency_key=key, queued_at=now,
            )
        )
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk]
    transaction.on_commit(lambda: publish_many(ids))
    return created


PUBLISH_CHUNK = 200


def publish_many(ids) -> None:
    """Hand thousands of sends to the broker in chunks (one task per chunk, not per message).

    A chunk the broker refuses stays queued: the outbox sweeper re-publishes each row.
    """
    from ..tasks import send_notifications

    for start in range(0, len(ids), PUBLISH_CHUNK):
        chunk = ids[start:start + PUBLISH_CHUNK]
        try:
            send_notifications.apply_async(args=[chunk], retry=False)
        except Exception:  # noqa: BLE001 - any broker failure; the rows stay queued
            logger.warning("Broker unavailable; %s notifications stay queued for the sweeper", len(chunk))
