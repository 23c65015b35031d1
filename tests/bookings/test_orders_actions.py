"""Back-office → Orders → one order's actions: move to another session (a full one with a warning
first), cancel with a full or partial refund, resend the confirmation. The views call the services
of bookings.services.changes; these tests go through the pages as the artisan does."""

import pytest
from django.urls import reverse

from bookings.models import DevPayment, Order, OrderStatusChange, PaymentEvent, Slot
from bookings.states import OrderStatus, PaymentEventKind, SlotStatus
from notifications.models import Notification
from tests.bookings.conftest import make_slot
from tests.bookings.test_orders import place
from tests.factories import OrderFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


# `workshop` (in Paris), `adult`, `first` (its slot in 10 days) and `paid` (two seats, €80 paid on
# the dev gateway) are the after-the-booking fixtures of tests/bookings/conftest.py.


@pytest.fixture
def artisan(workshop):
    return workshop.artisan


@pytest.fixture
def signed_in(client, artisan):
    client.force_login(artisan.user)
    return client


def url(name, order):
    return reverse(f"backoffice:{name}", args=[order.reference])


# --- Who may act -------------------------------------------------------------------------------


def test_another_artisans_order_cannot_be_acted_on(signed_in):
    theirs = OrderFactory()
    for name in ("order_move", "order_cancel"):
        assert signed_in.get(url(name, theirs)).status_code == 404
        assert signed_in.post(url(name, theirs), {"message": "x"}).status_code == 404
    assert signed_in.post(url("order_resend", theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.CONFIRMED


def test_the_order_page_offers_the_actions_of_a_confirmed_order(signed_in, paid):
    page = signed_in.get(url("order", paid)).content.decode()
    for name in ("order_move", "order_cancel", "order_resend"):
        assert url(name, paid) in page


def test_resend_is_post_only(signed_in, paid):
    assert signed_in.get(url("order_resend", paid)).status_code == 405


# --- Move --------------------------------------------------------------------------------------


def test_move_lists_the_artisans_other_open_sessions_only(signed_in, paid, workshop, artisan):
    other_workshop = WorkshopFactory(artisan=artisan, title="Kintsugi")
    later = make_slot(other_workshop, 20)
    cancelled = make_slot(workshop, 21, status=SlotStatus.CANCELLED)
    past = make_slot(workshop, -2)
    foreign = make_slot(WorkshopFactory(), 22)
    choices = signed_in.get(url("order_move", paid)).context["form"].fields["slot"].queryset
    assert list(choices) == [later]
    for slot in (cancelled, past, foreign, paid.slot):
        response = signed_in.post(url("order_move", paid), {"slot": slot.pk, "confirmed": "1"})
        assert "slot" in response.context["form"].errors
    paid.refresh_from_db()
    assert paid.slot_id != later.pk


def test_the_sessions_to_move_to_read_in_their_workshops_time_zone(signed_in, paid, artisan):
    tokyo = WorkshopFactory(artisan=artisan, title="Kintsugi", timezone="Asia/Tokyo")
    slot = make_slot(tokyo, 20)
    page = signed_in.get(url("order_move", paid)).content.decode()
    local = slot.starts_at.astimezone(tokyo.tzinfo)
    assert f"Kintsugi — {local:%a}, {local.day} {local:%b %Y}, {local:%H:%M} (6 seats left)" in page


def test_move_asks_for_confirmation_then_moves_the_seats_and_writes_the_history(
    signed_in, paid, workshop, django_capture_on_commit_callbacks
):
    target = make_slot(workshop, 14, capacity=5)
    old_codes = set(paid.tickets.values_list("code", flat=True))
    confirm = signed_in.post(url("order_move", paid), {"slot": target.pk, "message": "See you!"})
    assert confirm.status_code == 200
    assert "Move the order?" in confirm.content.decode()
    assert "This session is full." not in confirm.content.decode()
    paid.refresh_from_db()
    assert paid.slot_id != target.pk  # nothing moved before the confirmation

    with django_capture_on_commit_callbacks(execute=True):
        done = signed_in.post(
            url("order_move", paid), {"slot": target.pk, "message": "See you!", "confirmed": "1"}
        )
    assert done.status_code == 302 and done["Location"] == url("order", paid)
    paid.refresh_from_db()
    target.refresh_from_db()
    assert paid.slot_id == target.pk and paid.status == OrderStatus.CONFIRMED
    assert target.seats_taken == 2
    assert Slot.objects.get(pk=paid.slot_id).seats_taken == 2
    new_codes = set(paid.tickets.values_list("code", flat=True))
    assert len(new_codes) == 2 and not new_codes & old_codes
    assert OrderStatusChange.objects.filter(order=paid, message__contains="See you!").exists()
    page = signed_in.get(url("order", paid)).content.decode()
    assert "See you!" in page


def test_moving_into_a_full_session_warns_first_then_raises_its_capacity(
    signed_in, paid, workshop, django_capture_on_commit_callbacks
):
    full = make_slot(workshop, 15, capacity=3)
    OrderFactory(slot=full, seats=3)
    confirm = signed_in.post(url("order_move", paid), {"slot": full.pk})
    page = confirm.content.decode()
    assert "This session is full." in page
    assert "raised from 3 to 5 seats" in page
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url("order_move", paid), {"slot": full.pk, "confirmed": "1"})
    full.refresh_from_db()
    paid.refresh_from_db()
    assert paid.slot_id == full.pk
    assert full.seats_taken == 5 and full.capacity >= 5


def test_a_double_submitted_move_moves_once(
    signed_in, paid, workshop, django_capture_on_commit_callbacks
):
    target = make_slot(workshop, 16)
    data = {"slot": target.pk, "confirmed": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        first = signed_in.post(url("order_move", paid), data)
        second = signed_in.post(url("order_move", paid), data)
    assert first.status_code == 302
    assert second.status_code in (200, 302)
    target.refresh_from_db()
    assert target.seats_taken == 2


def test_a_bogus_slot_is_a_form_error(signed_in, paid):
    for value in ("", "abc", "99999999", "1" * 400):
        response = signed_in.post(url("order_move", paid), {"slot": value, "confirmed": "1"})
        assert response.status_code == 200
        assert "slot" in response.context["form"].errors


# --- Cancel ------------------------------------------------------------------------------------


def test_cancel_with_a_partial_refund(signed_in, paid, django_capture_on_commit_callbacks):
    page = signed_in.get(url("order_cancel", paid))
    assert page.context["form"]["refund_cents"].value() == "80"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            url("order_cancel", paid), {"message": "The kiln broke.", "refund_cents": "25,50"}
        )
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED
    refunds = PaymentEvent.objects.filter(order=paid, kind=PaymentEventKind.REFUNDED)
    assert [r.amount_cents for r in refunds] == [2550]
    assert DevPayment.objects.get(reference=paid.payment_intent_id).refunded_cents == 2550
    history = OrderStatusChange.objects.filter(order=paid, to_status=OrderStatus.CANCELLED).get()
    assert "The kiln broke." in history.message


def test_cancel_with_the_full_refund_then_a_double_submit_refunds_once(
    signed_in, paid, django_capture_on_commit_callbacks
):
    data = {"message": "Sorry.", "refund_cents": "80"}
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url("order_cancel", paid), data)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url("order_cancel", paid), data)
    assert DevPayment.objects.get(reference=paid.payment_intent_id).refunded_cents == 8000
    assert PaymentEvent.objects.filter(order=paid, kind=PaymentEventKind.REFUNDED).count() == 1


@pytest.mark.parametrize("refund", ["0", "80.01", "-5", "abc", "9" * 30, ""])
def test_a_refund_outside_0_and_what_is_left_is_a_form_error(signed_in, paid, refund):
    data = {"message": "Sorry.", "refund_cents": refund}
    response = signed_in.post(url("order_cancel", paid), data)
    assert response.status_code == 200
    assert "refund_cents" in response.context["form"].errors
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CONFIRMED


def test_cancel_needs_a_message(signed_in, paid):
    response = signed_in.post(url("order_cancel", paid), {"message": "  ", "refund_cents": "80"})
    assert "message" in response.context["form"].errors
    assert signed_in.post(url("order_cancel", paid), {"message": "x" * 5000}).status_code == 200
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CONFIRMED


def test_an_unpaid_or_cancelled_order_offers_no_move_or_cancel(signed_in, first, adult):
    order = place(first, {adult.pk: 1})
    cancelled = OrderFactory(slot=first, status=OrderStatus.CANCELLED)
    for unchangeable in (order, cancelled):
        page = signed_in.get(url("order", unchangeable)).content.decode()
        for name in ("order_move", "order_cancel", "order_resend"):
            assert url(name, unchangeable) not in page
        for name in ("order_move", "order_cancel"):
            response = signed_in.post(url(name, unchangeable), {"message": "x"}, follow=True)
            assert "it can no longer be moved or cancelled" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_an_order_with_nothing_charged_is_cancelled_without_a_refund_field(
    signed_in, first, django_capture_on_commit_callbacks
):
    free = OrderFactory(slot=first, total_cents=0)
    form = signed_in.get(url("order_cancel", free)).context["form"]
    assert "refund_cents" not in form.fields
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url("order_cancel", free), {"message": "Kiln broke."})
    assert response.status_code == 302
    free.refresh_from_db()
    assert free.status == OrderStatus.CANCELLED


# --- Resend ------------------------------------------------------------------------------------


def test_resend_sends_the_confirmation_with_the_tickets_again(
    signed_in, paid, django_capture_on_commit_callbacks
):
    before = Notification.objects.filter(recipient=paid.customer_email, channel="email").count()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url("order_resend", paid), follow=True)
    assert "sent again" in response.content.decode()
    assert (
        Notification.objects.filter(recipient=paid.customer_email, channel="email").count()
        == before + 1
    )
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.CONFIRMED
