"""Who is told what. Every message of the flow is written here, in the caller's transaction."""

from django.conf import settings
from django.urls import reverse

from bookings.signed_links import link_sign
from notifications.services import OutgoingMessage, notifications_enqueue_bulk
from notifications.states import Channel

MANAGE_SALT = "privatisation.manage"
T = "privatisation/emails/"


def manage_signature(request_id: int) -> str:
    return link_sign(request_id, salt=MANAGE_SALT)


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
        **extra,
    }


# The flow's promise: every expiry and every confirmation reaches both sides, by email and
# SMS, whatever the caller asks for. Other events go by the channels the caller names.
BOTH_SIDES_BOTH_CHANNELS = frozenset({"expired_unanswered", "expired_unpaid", "confirmed"})


def _messages(
    request,
    side: str,
    event: str,
    *,
    email: bool,
    sms: bool,
    template_event=None,
    context=None,
    attachments=(),
):
    """The outgoing messages of one event to one side of the request (one key per channel)."""
    if event in BOTH_SIDES_BOTH_CHANNELS:
        email = sms = True
    if side == "customer":
        address, phone, language = request.email, request.phone, request.language
    else:
        artisan = request.workshop.artisan
        address, phone, language = artisan.email, artisan.phone, artisan.language
    context = context if context is not None else _context(request)
    template = f"{T}{side}_{template_event or event}"
    channels = ([(Channel.EMAIL, address)] if email else []) + (
        [(Channel.SMS, phone)] if sms else []
    )
    return [
        OutgoingMessage(
            channel=channel,
            recipient=recipient,
            template=template,
            context=context,
            language=language,
            key=f"privreq:{request.pk}:{event}:{side}:{channel}",
            attachments=attachments if channel == Channel.EMAIL else (),
        )
        for channel, recipient in channels
    ]


def to_customer(
    request,
    event: str,
    *,
    sms: bool = False,
    template_event: str | None = None,
    attachments=(),
    **extra,
):
    """The customer's messages of one event; `attachments` go with the email only (a quote's PDF)."""
    _enqueue(
        request,
        "customer",
        event,
        sms=sms,
        template_event=template_event,
        extra=extra,
        attachments=attachments,
    )


def to_artisan(
    request, event: str, *, sms: bool = False, template_event: str | None = None, **extra
):
    _enqueue(request, "artisan", event, sms=sms, template_event=template_event, extra=extra)


def _enqueue(
    request, side: str, event: str, *, sms: bool, template_event, extra: dict, attachments=()
):
    context = _context(request, **extra)
    notifications_enqueue_bulk(
        messages=_messages(
            request,
            side,
            event,
            email=True,
            sms=sms,
            template_event=template_event,
            context=context,
            attachments=attachments,
        )
    )


def bulk_for_requests(
    requests,
    event: str,
    *,
    customer_email: bool = True,
    customer_sms: bool = False,
    artisan_email: bool = False,
    artisan_sms: bool = False,
):
    """The same messages as to_customer/to_artisan for many requests, in one outbox call.

    Used by the beat jobs (thousands of rows): the keys are the same as the one-by-one path,
    so a row is never told twice whichever path ran. Returns the outbox rows.
    """
    messages = []
    for request in requests:
        context = _context(request)
        messages += _messages(
            request, "customer", event, email=customer_email, sms=customer_sms, context=context
        )
        messages += _messages(
            request, "artisan", event, email=artisan_email, sms=artisan_sms, context=context
        )
    return notifications_enqueue_bulk(messages=messages)
