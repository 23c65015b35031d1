"""After the booking (bookings/services/changes.py): move, cancel, withdraw, resend, and the
choice of the customers of a cancelled date. Real rows, the dev gateway, the outbox."""

from datetime import timedelta

import pytest
import stripe
import time_machine
from django.utils import timezone
from icalendar import Calendar

from bookings.models import DevPayment, Order, OrderStatusChange, PaymentEvent, Slot
from bookings.payments import PaymentUnavailable
from bookings.payments.dev import DevGateway
from bookings.selectors.tickets import order_ics
from bookings.services import BookingError, ledger_key, orders_settle_payments, payment_event_record
from bookings.services.changes import (
    order_cancel,
    order_change_options,
    order_move_targets,
    order_rebook,
    order_resend_confirmation,
    order_withdraw,
    orders_refund_unchosen,
)
from bookings.services.slots import slot_cancel
from bookings.states import CUSTOMER, SYSTEM, Actor, OrderStatus, PaymentEventKind, SlotKind
from bookings.tasks import refund_unchosen_orders, settle_order_payment
from notifications.models import Notification
from tests.bookings import stripe_fake
from tests.bookings.conftest import make_slot
from tests.bookings.test_orders import pay_on_dev_gateway, place
from tests.factories import (
    ArtisanFactory,
    OrderFactory,
    SlotFactory,
    TicketTypeFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


def _seats(*slots):
    return [Slot.objects.get(pk=s.pk).seats_taken for s in slots]


def _refunded(order) -> int:
    return DevPayment.objects.get(reference=order.payment_intent_id).refunded_cents


# --- what the customer may do ------------------------------------------------------------------


def test_options_before_the_deadline_allow_moving_and_cancelling(paid, first):
    options = order_change_options(paid)
    assert options.can_move and options.can_cancel and not options.can_withdraw
    assert options.deadline == first.starts_at - timedelta(days=4)
    assert options.moves_left == 5 and options.reason_if_not == ""


def test_options_after_the_deadline_say_why(paid, first):
    options = order_change_options(paid, now=first.starts_at - timedelta(days=3))
    assert not options.can_move and not options.can_cancel
    assert "4 days before the workshop" in options.reason_if_not


def test_move_targets_are_the_other_public_dates_with_enough_seats(paid, workshop, second):
    full = make_slot(workshop, 12, capacity=1)
    private = make_slot(workshop, 13, kind=SlotKind.PRIVATE)
    make_slot(WorkshopFactory(), 14)  # another workshop
    targets = order_move_targets(paid)
    assert targets == [second]
    assert full not in targets and private not in targets


# --- move ----------------------------------------------------------------------------------------


def test_customer_move_moves_the_seats_reissues_tickets_and_tells_both_sides(
    paid, first, second, django_capture_on_commit_callbacks
):
    old_codes = set(paid.tickets.values_list("code", flat=True))
    assert len(old_codes) == 2
    with django_capture_on_commit_callbacks(execute=True):
        order = order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER)
    order.refresh_from_db()
    assert order.slot_id == second.pk and order.status == OrderStatus.CONFIRMED
    assert _seats(first, second) == [0, 2]
    assert order.moves_count == 1 and order.ics_sequence == 1
    new_codes = set(order.tickets.values_list("code", flat=True))
    assert len(new_codes) == 2 and not new_codes & old_codes
    history = order.status_changes.last()
    assert history.from_status == history.to_status == OrderStatus.CONFIRMED
    assert history.actor_kind == "customer" and "moved from" in history.message
    email = Notification.objects.get(idempotency_key=f"order:{order.pk}:moved:1:email")
    assert email.recipient == order.customer_email and "new date" in email.body_text
    assert Notification.objects.filter(idempotency_key=f"order:{order.pk}:moved:1:sms").exists()
    artisan = Notification.objects.get(idempotency_key=f"order:{order.pk}:moved:1:artisan:email")
    assert artisan.recipient == first.workshop.artisan.email


def test_the_calendar_file_keeps_its_uid_with_a_higher_sequence(paid, second):
    before = Calendar.from_ical(order_ics(paid)).walk("VEVENT")[0]
    order = order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER)
    after = Calendar.from_ical(order_ics(order)).walk("VEVENT")[0]
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") == second.starts_at


def test_a_double_submitted_move_moves_once(paid, second):
    order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER)
    order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER)
    paid.refresh_from_db()
    assert paid.moves_count == 1 and _seats(second) == [2]


def test_customer_cannot_move_after_the_deadline(paid, first, second):
    with time_machine.travel(first.starts_at - timedelta(days=3, hours=23)):
        with pytest.raises(BookingError) as error:
            order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER)
    assert "4 days before" in error.value.message
    paid.refresh_from_db()
    assert paid.slot_id == first.pk and _seats(first, second) == [2, 0]


@pytest.mark.parametrize("kind", ["full", "private", "other-workshop", "past", "cancelled"])
def test_customer_cannot_move_to_a_date_they_may_not_book(paid, first, workshop, kind):
    target = {
        "full": lambda: make_slot(workshop, 12, capacity=1),
        "private": lambda: make_slot(workshop, 12, kind=SlotKind.PRIVATE),
        "other-workshop": lambda: make_slot(WorkshopFactory(artisan=workshop.artisan), 12),
        "past": lambda: SlotFactory(
            workshop=workshop, starts_at=timezone.now() - timedelta(hours=3)
        ),
        "cancelled": lambda: make_slot(workshop, 12, status="cancelled"),
    }[kind]()
    with pytest.raises(BookingError) as error:
        order_rebook(order_id=paid.pk, slot_id=target.pk, actor=CUSTOMER)
    assert error.value.field == "slot"
    paid.refresh_from_db()
    assert paid.slot_id == first.pk and paid.moves_count == 0
    assert paid.tickets.count() == 2


def test_customer_moves_are_limited(paid, first, second, settings):
    settings.ATELIER_MAX_MOVES = 2
    order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER)
    order_rebook(order_id=paid.pk, slot_id=first.pk, actor=CUSTOMER)
    paid.refresh_from_db()
    options = order_change_options(paid)
    assert not options.can_move and options.can_cancel and options.moves_left == 0
    with pytest.raises(BookingError) as error:
        order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER)
    assert "the most allowed" in error.value.message


def test_artisan_moves_into_a_full_slot_and_its_capacity_is_raised(paid, workshop):
    other_workshop = WorkshopFactory(artisan=workshop.artisan)
    full = make_slot(other_workshop, 20, capacity=3)
    Slot.objects.filter(pk=full.pk).update(seats_taken=3)
    artisan = Actor.artisan(workshop.artisan.user)
    order = order_rebook(order_id=paid.pk, slot_id=full.pk, actor=artisan, by_artisan=True)
    full.refresh_from_db()
    assert order.slot_id == full.pk and full.capacity == 5 and full.seats_taken == 5
    history = order.status_changes.last()
    assert history.actor_kind == "artisan" and "raised from 3 to 5" in history.message
    assert not Notification.objects.filter(idempotency_key__contains=":artisan:").exists()


def test_artisan_cannot_move_to_another_artisans_slot(paid):
    elsewhere = make_slot(WorkshopFactory(artisan=ArtisanFactory()), 12)
    with pytest.raises(BookingError):
        order_rebook(
            order_id=paid.pk,
            slot_id=elsewhere.pk,
            actor=Actor.artisan(paid.slot.workshop.artisan.user),
            by_artisan=True,
        )
    paid.refresh_from_db()
    assert paid.slot.workshop.artisan != elsewhere.workshop.artisan
    assert _seats(elsewhere) == [0]


# --- cancel ------------------------------------------------------------------------------------


def test_customer_cancels_before_the_deadline_and_is_refunded_once(
    paid, first, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=paid.pk, actor=CUSTOMER)
        order_cancel(order_id=paid.pk, actor=CUSTOMER)  # double submit
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED and _seats(first) == [0]
    assert _refunded(paid) == 8000
    assert PaymentEvent.objects.filter(order=paid, kind=PaymentEventKind.REFUNDED).count() == 1
    email = Notification.objects.get(idempotency_key=f"order:{paid.pk}:cancelled:email")
    assert "80.00" in email.body_text or "80,00" in email.body_text
    assert Notification.objects.filter(
        idempotency_key=f"order:{paid.pk}:cancelled:artisan:email"
    ).exists()


def test_customer_cannot_cancel_after_the_deadline(paid, first):
    with time_machine.travel(first.starts_at - timedelta(days=2)):
        with pytest.raises(BookingError):
            order_cancel(order_id=paid.pk, actor=CUSTOMER)
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CONFIRMED and _seats(first) == [2]


def test_artisan_cancels_after_the_deadline_with_a_partial_refund(
    paid, first, django_capture_on_commit_callbacks
):
    artisan = Actor.artisan(first.workshop.artisan.user)
    with time_machine.travel(first.starts_at - timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            order_cancel(order_id=paid.pk, actor=artisan, message="Flooded", refund_cents=2500)
    assert _refunded(paid) == 2500
    email = Notification.objects.get(idempotency_key=f"order:{paid.pk}:cancelled:email")
    assert "25.00" in email.body_text and "Flooded" in email.body_text
    assert orders_settle_payments() == 0  # never a second refund


@pytest.mark.parametrize("amount", [-1, 8001])
def test_artisan_refund_must_be_within_what_was_paid(paid, amount):
    with pytest.raises(BookingError) as error:
        order_cancel(order_id=paid.pk, actor=Actor.artisan(), refund_cents=amount)
    assert error.value.field == "refund_cents"
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CONFIRMED


def test_artisan_cancel_without_refund_is_never_refunded(paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=paid.pk, actor=Actor.artisan(), refund_cents=0)
    assert _refunded(paid) == 0 and orders_settle_payments() == 0
    email = Notification.objects.get(idempotency_key=f"order:{paid.pk}:cancelled:email")
    assert "No refund" in email.body_text


def test_a_refund_whose_answer_timed_out_is_retried_and_refunds_once(
    paid, monkeypatch, django_capture_on_commit_callbacks
):
    """The provider took the refund but its answer never came: the retry (same ledger key)
    records it without refunding a second time."""
    real_refund = DevGateway.refund
    keys = []

    def refund_then_time_out(self, **kwargs):
        keys.append(kwargs["idempotency_key"])
        real_refund(self, **kwargs)
        raise PaymentUnavailable("Read timed out.")

    monkeypatch.setattr(DevGateway, "refund", refund_then_time_out)
    published = []
    monkeypatch.setattr(settle_order_payment, "apply_async", lambda **kw: published.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=paid.pk, actor=CUSTOMER)
    assert published and published[0]["args"] == [paid.pk]  # a retry is scheduled
    assert not PaymentEvent.objects.filter(order=paid, kind=PaymentEventKind.REFUNDED).exists()

    monkeypatch.setattr(
        DevGateway,
        "refund",
        lambda self, **kw: keys.append(kw["idempotency_key"]) or real_refund(self, **kw),
    )
    assert settle_order_payment.run(paid.pk) == "refunded"
    assert orders_settle_payments() == 0
    assert keys == [f"order:{paid.pk}:refund"] * 2
    assert _refunded(paid) == 8000
    assert PaymentEvent.objects.filter(order=paid, kind=PaymentEventKind.REFUNDED).count() == 1


# --- withdraw, resend --------------------------------------------------------------------------


def test_withdrawing_a_pending_order_releases_the_authorisation_at_once(
    first, workshop, django_capture_on_commit_callbacks
):
    on_request = TicketTypeFactory(workshop=workshop, requires_confirmation=True)
    order = place(first, {on_request.pk: 1})
    pay_on_dev_gateway(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CONFIRMATION
    assert order_change_options(order).can_withdraw
    with django_capture_on_commit_callbacks(execute=True):
        order_withdraw(order_id=order.pk, actor=CUSTOMER)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and _seats(first) == [0]
    assert DevPayment.objects.get(reference=order.payment_intent_id).status == "cancelled"
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.RELEASED).exists()


def test_a_confirmed_order_cannot_be_withdrawn(paid):
    with pytest.raises(BookingError):
        order_withdraw(order_id=paid.pk, actor=CUSTOMER)


def test_each_resend_sends_the_tickets_again(paid):
    artisan = Actor.artisan(paid.slot.workshop.artisan.user)
    order_resend_confirmation(order_id=paid.pk, actor=artisan)
    order_resend_confirmation(order_id=paid.pk, actor=artisan)
    resent = Notification.objects.filter(
        idempotency_key__startswith=f"order:{paid.pk}:confirmed:resend:"
    )
    assert resent.count() == 2
    assert all(len(n.attachments) == 3 for n in resent)  # the .ics and two QR codes
    assert OrderStatusChange.objects.filter(order=paid, message__contains="sent again").count() == 2


# --- a cancelled date: the customers choose ---------------------------------------------------


def test_a_cancelled_date_lets_each_customer_choose(
    paid, first, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="Kiln broke")
    paid.refresh_from_db()
    assert paid.status == OrderStatus.AWAITING_CHOICE
    assert paid.choose_by - timezone.now() > timedelta(days=13, hours=23)
    assert _refunded(paid) == 0  # nothing refunded before the customer chooses
    email = Notification.objects.get(idempotency_key=f"order:{paid.pk}:choose:{first.pk}:email")
    assert "Kiln broke" in email.body_text and "another date" in email.body_text
    options = order_change_options(paid)
    assert options.slot_cancelled and options.can_move and options.can_cancel


def test_choosing_another_date_after_a_cancellation_is_not_counted(
    paid, first, second, django_capture_on_commit_callbacks
):
    slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="")
    with time_machine.travel(first.starts_at - timedelta(days=1)):  # past the usual deadline
        order = order_rebook(order_id=paid.pk, slot_id=second.pk, actor=CUSTOMER, counted=False)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.moves_count == 0
    assert order.choose_by is None and _seats(second) == [2]


def test_choosing_a_refund_after_a_cancellation(paid, first, django_capture_on_commit_callbacks):
    slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="")
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=paid.pk, actor=CUSTOMER)
    assert _refunded(paid) == 8000


def test_without_a_choice_in_14_days_the_sweep_refunds(
    paid, first, django_capture_on_commit_callbacks
):
    slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="")
    assert orders_refund_unchosen() == 0
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert orders_refund_unchosen() == 1
            assert orders_refund_unchosen() == 0
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED and _refunded(paid) == 8000
    assert paid.status_changes.last().actor_kind == SYSTEM.kind


def test_unpaid_orders_of_a_cancelled_date_are_still_closed_at_once(first, adult):
    unpaid = place(first, {adult.pk: 1}, customer_email="cy@example.com")
    slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="")
    assert Order.objects.get(pk=unpaid.pk).status == OrderStatus.CANCELLED


def test_a_stripe_refund_that_timed_out_is_retried_with_the_same_key_and_refunds_once(
    stripe_http, monkeypatch, django_capture_on_commit_callbacks
):
    """The real Stripe client, its HTTP layer faked: the first refund call times out, the
    sweeper's retry carries the same idempotency key, one refund is recorded."""
    order = OrderFactory(
        slot=make_slot(WorkshopFactory(price_cents=4000), 10),
        seats=2,
        payment_provider="stripe",
        payment_intent_id="pi_3PabcDEF",
    )
    payment_event_record(
        order,
        kind=PaymentEventKind.CAPTURED,
        key=ledger_key(order.pk, "captured"),
        amount_cents=8000,
    )
    stripe_http.on("POST", "/v1/refunds", raises=stripe.APIConnectionError("Read timed out"))
    stripe_http.on("POST", "/v1/refunds", body=stripe_fake.refund(amount=8000))
    monkeypatch.setattr(settle_order_payment, "apply_async", lambda **kw: None)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=CUSTOMER)
    assert not PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.REFUNDED).exists()
    assert orders_settle_payments() == 1
    assert orders_settle_payments() == 0
    refunds = [c for c in stripe_http.calls if c["path"] == "/v1/refunds"]
    assert [c["headers"]["Idempotency-Key"] for c in refunds] == [f"order:{order.pk}:refund"] * 2
    refunded = PaymentEvent.objects.get(order=order, kind=PaymentEventKind.REFUNDED)
    assert refunded.amount_cents == 8000 and refunded.provider_ref == "re_3PabcDEF"


def test_the_beat_task_runs_the_sweep(paid, first):
    slot_cancel(artisan=first.workshop.artisan, slot_id=first.pk, message="")
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert refund_unchosen_orders() == 1
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.CANCELLED
