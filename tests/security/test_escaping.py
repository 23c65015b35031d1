"""Whatever a customer or an artisan types is escaped on every page and in every HTML email."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Order, Slot
from bookings.services import order_confirm
from bookings.services.changes import order_cancel
from bookings.services.slots import slot_cancel
from bookings.states import CUSTOMER
from notifications.models import Notification
from pending_orders import services as pending_services
from privatisation.services.respond import QuoteInput, privatisation_request_respond
from privatisation.services.suggestions import date_suggestion_accept, date_suggestion_submit
from tests.factories import PendingOrderFactory, SlotFactory, privatisation_submit

from .conftest import form_values

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"Evil {SCRIPT} {IMG}"
RAW = ("<script>alert(1)", "<img src=x", "onerror=alert(1)>")


def assert_escaped(html: str, where: str):
    for raw in RAW:
        assert raw not in html, f"{where}: raw {raw!r}"


def _page(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _edit_workshop(client, world):
    url = reverse("backoffice:workshop_edit", args=[world.workshop.pk])
    data = form_values(client.get(url).content.decode())
    data.update(
        title=[f"Pottery {PAYLOAD}"],
        description=[PAYLOAD],
        practical_info=[PAYLOAD],
        address=[PAYLOAD],
    )
    assert client.post(url, data).status_code == 302
    world.workshop.refresh_from_db()
    assert SCRIPT in world.workshop.title  # stored as typed; escaped when shown


def test_every_text_input_is_escaped_on_pages_and_in_html_emails(client, world, monkeypatch):
    monkeypatch.setattr(pending_services.dispatch, "dispatch_captures", lambda ids: None)
    client.force_login(world.a.user)
    _edit_workshop(client, world)
    workshop = world.workshop
    client.logout()

    # A customer books through the form, with hostile name; the order is then paid.
    slot = SlotFactory(workshop=workshop, starts_at=timezone.now() + timedelta(days=9))
    ticket_type = workshop.ticket_types.filter(requires_confirmation=False).first()
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]),
        {
            f"qty_{ticket_type.pk}": "1",
            "customer_name": PAYLOAD,
            "customer_email": "evil@example.com",
            "customer_phone": "+33611223344",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(customer_email="evil@example.com")
    assert order.customer_name == PAYLOAD
    order_confirm(order_id=order.pk)

    # A company privatisation request with hostile contact, company, billing and message.
    privreq = privatisation_submit(workshop, kind="company", company_name=PAYLOAD, message=PAYLOAD)
    type(privreq).objects.filter(pk=privreq.pk).update(
        contact_name=PAYLOAD, billing_details=PAYLOAD
    )
    client.post(reverse("privatisation:customer_message", args=[privreq.token]), {"body": PAYLOAD})
    # The artisan answers with a hostile message and quote note, and chats back.
    proposed = list(privreq.proposed_slots.all())
    privatisation_request_respond(
        artisan=world.a,
        request_id=privreq.pk,
        accept_proposed_ids=[proposed[0].pk],
        offer_starts=[],
        message=PAYLOAD,
        quote=QuoteInput(
            amount_cents=90000, valid_until=timezone.now() + timedelta(days=10), note=PAYLOAD
        ),
    )
    client.force_login(world.a.user)
    client.post(
        reverse("privatisation:manage", args=[privreq.pk]), {"action": "message", "body": PAYLOAD}
    )
    # Another request refused with a hostile message.
    refused = privatisation_submit(workshop, message=PAYLOAD)
    client.post(
        reverse("privatisation:manage", args=[refused.pk]),
        {"decision": "refuse", "message": PAYLOAD},
    )
    client.logout()

    # A date suggestion with hostile name and message, accepted.
    suggest_url = reverse("privatisation:suggest", args=[workshop.slug])
    date_suggestion_submit(
        workshop_id=workshop.pk,
        starts_at=timezone.now() + timedelta(days=30),
        name=PAYLOAD,
        email="sugg@example.com",
        message=PAYLOAD,
        language="en",
    )
    # A pending order refused with a hostile message, another accepted.
    pending = PendingOrderFactory(
        slot=SlotFactory(workshop=workshop, starts_at=timezone.now() + timedelta(days=12)),
        customer_name=PAYLOAD,
    )
    refused_order = PendingOrderFactory(slot=pending.slot, customer_name=PAYLOAD)
    pending_services.orders_refuse(artisan=world.a, order_ids=[refused_order.pk], message=PAYLOAD)

    customer_pages = [
        reverse("storefront:home"),
        reverse("storefront:workshop", args=[workshop.slug]),
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]),
        reverse("storefront:order", args=[order.token]),
        reverse("storefront:order_tickets", args=[order.token]),
        reverse("privatisation:customer_request", args=[privreq.token]),
        reverse("privatisation:quote", args=[privreq.token]),
        reverse("privatisation:customer_request", args=[refused.token]),
        reverse("privatisation:request_form", args=[workshop.slug]),
        suggest_url,
    ]
    for url in customer_pages:
        assert_escaped(_page(client, url), url)

    client.force_login(world.a.user)
    backoffice_pages = [
        reverse("backoffice:calendar"),
        reverse("backoffice:activity"),
        reverse("backoffice:workshop_edit", args=[workshop.pk]),
        reverse("backoffice:slot_participants", args=[slot.pk]),
        reverse("backoffice:slot_cancel", args=[slot.pk]),
        reverse("privatisation:list"),
        reverse("privatisation:list") + "?status=all",
        reverse("privatisation:manage", args=[privreq.pk]),
        reverse("privatisation:manage", args=[refused.pk]),
        reverse("pending_orders:list"),
    ]
    for url in backoffice_pages:
        html = _page(client, url)
        assert_escaped(html, url)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _page(
        client, reverse("backoffice:slot_participants", args=[slot.pk])
    )

    # The artisan accepts the suggestion and cancels the booked slot with a hostile message.
    suggestion = workshop.date_suggestions.get(email="sugg@example.com")
    date_suggestion_accept(artisan=world.a, suggestion_id=suggestion.pk)
    slot_cancel(artisan=world.a, slot_id=slot.pk, message=PAYLOAD)
    assert Slot.objects.get(pk=slot.pk).status == "cancelled"
    # Its customer sees the message on the order page (another date or a refund), then takes
    # the refund (issue #11: a cancelled date no longer refunds at once).
    url = reverse("storefront:order", args=[order.token])
    assert_escaped(_page(client, url), url)
    order_cancel(order_id=order.pk, actor=CUSTOMER)

    notifications = list(Notification.objects.all())
    templates = {n.template for n in notifications}
    for expected in ("confirmed", "refused", "cancel", "choose", "suggest", "message"):
        assert any(expected in t for t in templates), (expected, templates)
    with_html = [n for n in notifications if n.body_html]
    # The payload did reach the HTML emails (escaped), so the check below is not vacuous.
    reached = {
        n.template for n in with_html if "&lt;script&gt;alert(1)&lt;/script&gt;" in n.body_html
    }
    assert reached == {n.template for n in with_html} and reached, (
        reached
    )  # today: the order confirmation
    for notification in with_html:
        assert_escaped(notification.body_html, notification.template)
    # Plain-text bodies carry the text as typed (they are not HTML).
    assert any(SCRIPT in n.body_text for n in notifications)
