from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from bookings.hooks import order_hooks
from bookings.models import DevPayment, Order, PaymentEvent, Slot
from bookings.payments import IntentState, IntentStatus, get_gateway
from bookings.services import (
    BookingError,
    LineSpec,
    SoldOut,
    order_apply_payment_state,
    order_cancel_and_refund,
    order_confirm,
    order_create,
    order_expire_hold,
    order_place,
    order_start_payment,
    orders_refund_for_cancelled_slot,
    orders_release_lapsed_holds,
)
from bookings.services.payments import payment_event_process
from bookings.states import OrderStatus, PaymentEventKind, SlotStatus
from notifications.models import Notification
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot():
    return SlotFactory(capacity=5, workshop=WorkshopFactory(price_cents=4000))


@pytest.fixture
def adult(slot):
    return TicketTypeFactory(workshop=slot.workshop, name="Adult", price_cents=4000)


@pytest.fixture
def child(slot):
    return TicketTypeFactory(workshop=slot.workshop, name="Child", price_cents=2500, position=1)


@pytest.fixture
def on_request(slot):
    return TicketTypeFactory(
        workshop=slot.workshop, name="Private lesson", price_cents=9000, requires_confirmation=True
    )


def place(slot, quantities, **kwargs):
    data = dict(
        customer_name="Ada",
        customer_email="ada@example.com",
        customer_phone="+33611223344",
        language="en",
    )
    data.update(kwargs)
    return order_place(slot_id=slot.pk, quantities=quantities, **data)


def pay_on_dev_gateway(order, action="pay"):
    session = order_start_payment(
        order_id=order.pk, return_url="http://t/back", cancel_url="http://t/cancel"
    )
    gateway = get_gateway("dev")
    state = (
        gateway.customer_pays(session.reference)
        if action == "pay"
        else gateway.customer_declines(session.reference)
    )
    return payment_event_process(provider="dev", event=gateway.event_for(state, action))


def test_ordinary_order_takes_seats_and_holds_them(slot, adult, child):
    order = place(slot, {adult.pk: 2, child.pk: 1})
    slot.refresh_from_db()
    assert slot.seats_taken == 3
    assert order.seats == 3 and order.total_cents == 2 * 4000 + 2500
    assert order.status == OrderStatus.PENDING_PAYMENT and order.holds_seats
    assert order.hold_expires_at > timezone.now()
    assert [line.label for line in order.lines.order_by("pk")] == ["Adult", "Child"]


def test_more_seats_than_left_is_refused_with_the_count(slot, adult):
    place(slot, {adult.pk: 4}, customer_email="a@example.com")
    with pytest.raises(SoldOut, match="only 1 seat is left"):
        place(slot, {adult.pk: 2}, customer_email="b@example.com")
    place(slot, {adult.pk: 1}, customer_email="c@example.com")
    with pytest.raises(SoldOut, match="sold out"):
        place(slot, {adult.pk: 1}, customer_email="d@example.com")
    slot.refresh_from_db()
    assert slot.seats_taken == 5


def test_zero_seats_and_foreign_ticket_types_are_refused(slot, adult):
    with pytest.raises(BookingError, match="at least one seat"):
        place(slot, {adult.pk: 0})
    foreign = TicketTypeFactory()
    with pytest.raises(BookingError, match="not on sale"):
        place(slot, {foreign.pk: 1})
    adult.is_active = False
    adult.save()
    with pytest.raises(BookingError, match="not on sale"):
        place(slot, {adult.pk: 1})


def test_confirm_first_and_ordinary_tickets_cannot_be_mixed(slot, adult, on_request):
    with pytest.raises(BookingError, match="two bookings"):
        place(slot, {adult.pk: 1, on_request.pk: 1})


def test_cancelled_or_past_slot_cannot_be_booked(slot, adult):
    Slot.objects.filter(pk=slot.pk).update(status=SlotStatus.CANCELLED)
    with pytest.raises(BookingError, match="not open"):
        place(slot, {adult.pk: 1})
    past = SlotFactory(workshop=slot.workshop, starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(BookingError, match="already started"):
        place(past, {adult.pk: 1})


def test_paying_on_dev_gateway_confirms_with_one_ticket_per_seat(
    slot, adult, django_capture_on_commit_callbacks
):
    order = place(slot, {adult.pk: 2})
    with django_capture_on_commit_callbacks(execute=True):
        assert pay_on_dev_gateway(order) == "processed"
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.payment_provider == "dev" and order.payment_intent_id.startswith("dev_")
    codes = list(order.tickets.values_list("code", flat=True))
    assert len(codes) == 2 and len(set(codes)) == 2
    email = Notification.objects.get(idempotency_key=f"order:{order.pk}:confirmed:email")
    assert all(code in email.body_text for code in codes)
    names = [a["filename"] for a in email.attachments]
    assert f"atelier-{order.reference}.ics" in names and sum(n.endswith(".png") for n in names) == 2
    # The tickets' QR codes are drawn when the email is sent (not in the confirming transaction).
    assert {a.get("qr") for a in email.attachments if a["mimetype"] == "image/png"} == set(codes)
    assert Notification.objects.filter(idempotency_key=f"order:{order.pk}:confirmed:sms").exists()
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).count() == 1


def test_confirmation_is_idempotent(slot, adult):
    order = place(slot, {adult.pk: 1})
    state = IntentState(
        reference="dev_x", status=IntentStatus.SUCCEEDED, amount_cents=4000, currency="EUR"
    )
    order_apply_payment_state(order_id=order.pk, state=state)
    order_apply_payment_state(order_id=order.pk, state=state)
    order_confirm(order_id=order.pk)
    order.refresh_from_db()
    assert order.tickets.count() == 1
    assert (
        Notification.objects.filter(
            idempotency_key__startswith=f"order:{order.pk}:confirmed"
        ).count()
        == 2
    )
    slot.refresh_from_db()
    assert slot.seats_taken == 1


def test_order_hooks_run_for_their_source(slot):
    seen = []
    order_hooks.register(
        "test-source",
        on_confirmed=lambda o: seen.append(("confirmed", o.pk)),
        on_closed=lambda o: seen.append(("closed", o.pk)),
    )
    order = order_create(
        slot=slot,
        lines=[LineSpec(label="Private session", quantity=4, unit_price_cents=5000)],
        customer_name="Bo",
        customer_email="bo@example.com",
        source="test-source",
    )
    assert order.total_cents == 20000 and order.lines.get().ticket_type is None
    order_confirm(order_id=order.pk)
    other = order_create(
        slot=slot,
        lines=[LineSpec(label="x", quantity=1, unit_price_cents=100)],
        customer_name="Bo",
        customer_email="bo@example.com",
        source="test-source",
    )
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        order_expire_hold(order_id=other.pk)
    assert seen == [("confirmed", order.pk), ("closed", other.pk)]


def test_declined_payment_fails_the_order_and_frees_the_seats(slot, adult):
    order = place(slot, {adult.pk: 3})
    pay_on_dev_gateway(order, action="decline")
    order.refresh_from_db()
    slot.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_FAILED and "declined" in order.payment_error
    assert slot.seats_taken == 0 and not order.holds_seats
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.FAILED).exists()


def test_confirm_first_order_takes_no_seat_and_waits_for_the_artisan(slot, on_request, settings):
    settings.PENDING_ORDER_DECISION_HOURS = 96
    settings.PENDING_ORDER_AUTH_MARGIN_HOURS = 12
    Slot.objects.filter(pk=slot.pk).update(seats_taken=5)  # full: a waiting list is allowed
    order = place(slot, {on_request.pk: 2})
    assert order.requires_confirmation and not order.holds_seats
    pay_on_dev_gateway(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CONFIRMATION
    payment = DevPayment.objects.get(reference=order.payment_intent_id)
    assert payment.status == IntentStatus.AUTHORISED and payment.manual_capture
    assert order.authorisation_expires_at == payment.capture_before
    expected = min(
        order.created_at + timedelta(hours=96), payment.capture_before - timedelta(hours=12)
    )
    assert abs((order.decide_by - expected).total_seconds()) < 5
    assert Notification.objects.filter(idempotency_key=f"order:{order.pk}:pending:email").exists()
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.AUTHORISED).count() == 1
    slot.refresh_from_db()
    assert slot.seats_taken == 5


def test_decide_by_respects_a_short_authorisation(slot, on_request, settings):
    settings.PENDING_ORDER_DECISION_HOURS = 96
    settings.PENDING_ORDER_AUTH_MARGIN_HOURS = 12
    order = place(slot, {on_request.pk: 1})
    capture_before = timezone.now() + timedelta(hours=30)
    order_apply_payment_state(
        order_id=order.pk,
        state=IntentState(
            reference="pi_1",
            status=IntentStatus.AUTHORISED,
            amount_cents=9000,
            currency="EUR",
            capture_before=capture_before,
        ),
    )
    order.refresh_from_db()
    assert order.decide_by == capture_before - timedelta(hours=12)


def test_lapsed_hold_frees_seats_once(slot, adult, settings):
    settings.CHECKOUT_HOLD_MINUTES = 15
    order = place(slot, {adult.pk: 2})
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert orders_release_lapsed_holds() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert orders_release_lapsed_holds() == 1
        assert orders_release_lapsed_holds() == 0
        order_expire_hold(order_id=order.pk)
    order.refresh_from_db()
    slot.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED and slot.seats_taken == 0


def test_lapsed_hold_that_was_paid_is_confirmed_not_expired(slot, adult):
    order = place(slot, {adult.pk: 1})
    session = order_start_payment(
        order_id=order.pk, return_url="http://t/b", cancel_url="http://t/c"
    )
    get_gateway("dev").customer_pays(session.reference)  # paid, but the callback was lost
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        orders_release_lapsed_holds()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_payment_after_the_seats_went_back_is_refunded(
    slot, adult, django_capture_on_commit_callbacks
):
    order = place(slot, {adult.pk: 5})
    session = order_start_payment(
        order_id=order.pk, return_url="http://t/b", cancel_url="http://t/c"
    )
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        order_expire_hold(order_id=order.pk)
        place(slot, {adult.pk: 5}, customer_email="bo@example.com")  # someone else took them
        gateway = get_gateway("dev")
        state = gateway.customer_pays(session.reference)
        with django_capture_on_commit_callbacks(execute=True):
            payment_event_process(provider="dev", event=gateway.event_for(state, "paid"))
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED and order.payment_error
    assert DevPayment.objects.get(reference=session.reference).refunded_cents == 20000
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.REFUNDED).count() == 1


def test_replayed_event_is_processed_once(slot, adult):
    order = place(slot, {adult.pk: 1})
    session = order_start_payment(
        order_id=order.pk, return_url="http://t/b", cancel_url="http://t/c"
    )
    gateway = get_gateway("dev")
    event = gateway.event_for(gateway.customer_pays(session.reference), "paid")
    assert payment_event_process(provider="dev", event=event) == "processed"
    assert payment_event_process(provider="dev", event=event) == "replay"


def test_cancel_and_refund_a_paid_order(slot, adult, django_capture_on_commit_callbacks):
    order = place(slot, {adult.pk: 2})
    with django_capture_on_commit_callbacks(execute=True):
        pay_on_dev_gateway(order)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_and_refund(order_id=order.pk, reason="The kiln broke, sorry.")
        order_cancel_and_refund(order_id=order.pk, reason="The kiln broke, sorry.")
    order.refresh_from_db()
    slot.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and slot.seats_taken == 0
    payment = DevPayment.objects.get(reference=order.payment_intent_id)
    assert payment.refunded_cents == 8000
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.REFUNDED).count() == 1
    email = Notification.objects.get(idempotency_key=f"order:{order.pk}:cancelled:email")
    assert "The kiln broke" in email.body_text and "refunded" in email.body_text


def test_cancelled_slot_refunds_and_tells_every_participant(
    slot, adult, on_request, django_capture_on_commit_callbacks
):
    paid = place(slot, {adult.pk: 2})
    with django_capture_on_commit_callbacks(execute=True):
        pay_on_dev_gateway(paid)
    waiting = place(slot, {on_request.pk: 1}, customer_email="bo@example.com")
    pay_on_dev_gateway(waiting)
    unpaid = place(slot, {adult.pk: 1}, customer_email="cy@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ids = orders_refund_for_cancelled_slot(slot_id=slot.pk, message="Storm warning.")
    assert sorted(ids) == sorted([paid.pk, waiting.pk, unpaid.pk])
    assert set(Order.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        OrderStatus.CANCELLED
    }
    assert (
        DevPayment.objects.get(
            reference=Order.objects.get(pk=paid.pk).payment_intent_id
        ).refunded_cents
        == 8000
    )
    assert (
        DevPayment.objects.get(reference=Order.objects.get(pk=waiting.pk).payment_intent_id).status
        == "cancelled"
    )
    assert PaymentEvent.objects.filter(order_id=waiting.pk, kind=PaymentEventKind.RELEASED).exists()
    assert Notification.objects.filter(idempotency_key__endswith=":cancelled:email").count() == 3
    slot.refresh_from_db()
    assert slot.seats_taken == 0


def test_confirmation_email_is_in_the_customers_language(slot, adult):
    order = place(slot, {adult.pk: 1}, language="fr")
    order_confirm(order_id=order.pk)
    email = Notification.objects.get(idempotency_key=f"order:{order.pk}:confirmed:email")
    assert email.language == "fr"
    assert email.subject.startswith("Votre réservation est confirmée")
    assert "Bonjour Ada," in email.body_text and "Numéro de commande" in email.body_text
    sms = Notification.objects.get(idempotency_key=f"order:{order.pk}:confirmed:sms")
    assert "confirmée" in sms.body_text and len(sms.body_text) < 320


def test_customer_name_is_escaped_in_the_html_email_and_plain_in_the_text(slot, adult):
    order = place(slot, {adult.pk: 1}, customer_name="Ada <b>&</b> Bo")
    order_confirm(order_id=order.pk)
    email = Notification.objects.get(idempotency_key=f"order:{order.pk}:confirmed:email")
    assert "Ada &lt;b&gt;&amp;&lt;/b&gt; Bo" in email.body_html
    assert "Hello Ada <b>&</b> Bo," in email.body_text


def test_refund_that_fails_transiently_is_retried_by_the_sweeper(
    slot, adult, monkeypatch, django_capture_on_commit_callbacks
):
    from bookings.payments import PaymentUnavailable
    from bookings.payments.dev import DevGateway
    from bookings.services import orders_settle_payments
    from bookings.tasks import settle_order_payment

    order = place(slot, {adult.pk: 1})
    with django_capture_on_commit_callbacks(execute=True):
        pay_on_dev_gateway(order)
    real_refund = DevGateway.refund

    def down(self, **kwargs):
        raise PaymentUnavailable("The payment service cannot be reached right now.")

    monkeypatch.setattr(DevGateway, "refund", down)
    published = []
    monkeypatch.setattr(settle_order_payment, "apply_async", lambda **kw: published.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_and_refund(order_id=order.pk, reason="Kiln broken")
    assert not PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.REFUNDED).exists()
    assert published and published[0]["args"] == [order.pk]  # a retry is scheduled

    monkeypatch.setattr(DevGateway, "refund", real_refund)
    assert orders_settle_payments() == 1
    assert orders_settle_payments() == 0
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.REFUNDED).count() == 1
    assert (
        DevPayment.objects.get(
            reference=Order.objects.get(pk=order.pk).payment_intent_id
        ).refunded_cents
        == 4000
    )


# --- Opening a checkout again ---------------------------------------------------------------


def start(order):
    return order_start_payment(order_id=order.pk, return_url="http://t/b", cancel_url="http://t/c")


def test_a_second_click_on_pay_returns_to_the_same_open_checkout(slot, adult):
    order = place(slot, {adult.pk: 1})
    first, second = start(order), start(order)
    assert second.reference == first.reference
    assert second.redirect_url == first.redirect_url
    assert DevPayment.objects.count() == 1


def test_a_declined_checkout_is_replaced_by_a_new_one_on_the_next_try(slot, adult):
    order = place(slot, {adult.pk: 1})
    first = start(order)
    get_gateway("dev").customer_declines(first.reference)  # the order is still within its hold
    second = start(order)
    assert second.reference != first.reference
    assert (
        DevPayment.objects.get(reference=second.reference).status == IntentStatus.REQUIRES_PAYMENT
    )
    order.refresh_from_db()
    assert order.payment_intent_id == second.reference
    assert start(order).reference == second.reference  # and that one is reused in turn


def test_pay_button_after_a_lapsed_hold_opens_the_payment_link_not_the_old_authorisation(
    slot, on_request
):
    order = place(slot, {on_request.pk: 1})
    authorisation = start(order)
    gateway = get_gateway("dev")
    gateway.customer_pays(authorisation.reference)  # authorised, waiting for the artisan
    link = gateway.create_payment(  # what the pending-orders flow sends once the hold lapsed
        amount_cents=order.total_cents,
        currency="EUR",
        description="x",
        manual_capture=False,
        customer_email=order.customer_email,
        return_url="http://t/b",
        cancel_url="http://t/c",
        metadata={"order_id": order.pk},
        idempotency_key=f"order:{order.pk}:payment-link",
    )
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.PENDING_PAYMENT,
        payment_intent_id=link.reference,
        decide_by=timezone.now(),
        hold_expires_at=timezone.now() + timedelta(hours=24),
    )
    session = start(order)
    assert session.reference == link.reference
    assert session.reference != authorisation.reference
    # Once that link is dead too, a new checkout charges at once (the artisan already accepted).
    gateway.customer_declines(link.reference)
    fresh = start(order)
    assert fresh.reference not in (link.reference, authorisation.reference)
    assert DevPayment.objects.get(reference=fresh.reference).manual_capture is False
