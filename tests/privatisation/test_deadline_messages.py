"""Who hears of each deadline event of a privatisation request, by which channel (issue 15).

The flow promises: every expiry and every confirmation reaches both sides by email and SMS;
each reminder reaches the side that must act, by email and SMS.
"""

from datetime import timedelta

import pytest

from bookings.states import OrderStatus
from notifications.models import Notification
from privatisation.services.customer import request_paid
from privatisation.services.deadlines import (
    privatisation_expire_overdue,
    privatisation_send_reminders,
)
from privatisation.services.respond import privatisation_request_respond
from tests.factories import OrderFactory, WorkshopFactory, privatisation_submit

pytestmark = pytest.mark.django_db

T = "privatisation/emails/"


def _answered(req):
    privatisation_request_respond(
        artisan=req.workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[],
        message="Happy to host you.",
        quote=None,
    )
    req.refresh_from_db()
    return req


def expired_unanswered(req):
    privatisation_expire_overdue(now=req.respond_by)


def expired_unpaid(req):
    req = _answered(req)
    privatisation_expire_overdue(now=req.pay_by)


def confirmed(req):
    req = _answered(req)
    offer = req.offers.select_related("slot").get()
    request_paid(
        OrderFactory(
            slot=offer.slot,
            seats=req.participants,
            source="privatisation",
            status=OrderStatus.CONFIRMED,
        )
    )


def reminder_answer(req):
    privatisation_send_reminders(now=req.respond_by - timedelta(hours=2))


def reminder_pay(req):
    req = _answered(req)
    privatisation_send_reminders(now=req.pay_by - timedelta(hours=2))


def _both(event):
    return {
        ("customer", "email", f"{T}customer_{event}"),
        ("customer", "sms", f"{T}customer_{event}"),
        ("artisan", "email", f"{T}artisan_{event}"),
        ("artisan", "sms", f"{T}artisan_{event}"),
    }


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (expired_unanswered, _both("expired_unanswered")),
        (expired_unpaid, _both("expired_unpaid")),
        (confirmed, _both("confirmed")),
        (
            reminder_answer,
            {
                ("artisan", "email", f"{T}artisan_reminder_answer"),
                ("artisan", "sms", f"{T}artisan_reminder_answer"),
            },
        ),
        (
            reminder_pay,
            {
                ("customer", "email", f"{T}customer_reminder_pay"),
                ("customer", "sms", f"{T}customer_reminder_pay"),
            },
        ),
    ],
    ids=lambda v: v.__name__ if callable(v) else "",
)
def test_each_deadline_event_reaches_each_side_by_the_promised_channels(event, expected):
    req = privatisation_submit(WorkshopFactory())
    event(req)
    # Only this event's messages (the submission and the answer have their own keys).
    rows = Notification.objects.filter(
        idempotency_key__startswith=f"privreq:{req.pk}:{event.__name__}:"
    )
    received = {(row.idempotency_key.split(":")[3], row.channel, row.template) for row in rows}
    assert received == expected
    sms = [row for row in rows if row.channel == "sms"]
    assert all(
        row.status == "queued" and row.recipient.startswith("+33") and row.body_text for row in sms
    )
