"""The gift card ledger: every move is an entry, the balance is their sum and never below zero."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from bookings.localtime import site_today
from bookings.models import DevPayment, GiftCard, GiftCardEntry, Order, PaymentEvent
from bookings.payments import IntentState, IntentStatus, get_gateway
from bookings.selectors.giftcards import order_card_cents, order_payment_split, orders_payment_split
from bookings.services import (
    BookingError,
    order_apply_payment_state,
    order_cancel_and_refund,
    order_expire_hold,
    order_pay_by_gift_card,
    order_place,
    order_start_payment,
)
from bookings.services.giftcards import (
    gift_code_normalise,
    giftcard_cancel,
    giftcard_create,
    giftcard_extend,
    giftcard_issue,
    giftcard_issue_for_order,
    giftcards_expire_overdue,
    giftcards_send_due,
)
from bookings.states import Actor, GiftCardEntryKind, GiftCardStatus, OrderStatus
from notifications.models import Notification
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db
Kind = GiftCardEntryKind


def active_card(amount=10000, **fields) -> GiftCard:
    card = giftcard_create(
        amount_cents=amount,
        buyer_name="Ada",
        buyer_email="ada@example.com",
        recipient_name=fields.pop("recipient_name", "Bob"),
        recipient_email=fields.pop("recipient_email", "bob@example.com"),
        **fields,
    )
    return giftcard_issue(gift_card_id=card.pk)


def assert_ledger_consistent(card: GiftCard) -> None:
    card.refresh_from_db()
    total = card.entries.aggregate(s=Sum("amount_cents"))["s"] or 0
    assert card.balance_cents == total >= 0


@pytest.fixture
def adult():
    slot = SlotFactory(capacity=6, workshop=WorkshopFactory(price_cents=4000))
    return TicketTypeFactory(workshop=slot.workshop, name="Adult", price_cents=4000)


def book(ticket_type, seats=1, *, code="", cents=0, email="cleo@example.com") -> Order:
    return order_place(
        slot_id=ticket_type.workshop.slots.get().pk,
        quantities={ticket_type.pk: seats},
        customer_name="Cleo",
        customer_email=email,
        gift_card_code=code,
        gift_card_cents=cents,
    )


def pay_by_card(order: Order) -> Order:
    """The rest paid on the dev gateway, as the customer does on its checkout page."""
    session = order_start_payment(order_id=order.pk, return_url="http://x/", cancel_url="http://x/")
    assert DevPayment.objects.get(reference=session.reference).amount_cents == order_card_cents(
        order
    )
    state = get_gateway("dev").customer_pays(session.reference)
    return order_apply_payment_state(order_id=order.pk, state=state)


# --- codes --------------------------------------------------------------------------------------


def test_codes_are_typable_and_normalised_from_any_case_and_dashes():
    card = active_card()
    assert len(card.code) == 12 and not set(card.code) & set("0O1IL5S2Z8BUV")
    assert card.display_code.count("-") == 2 and len(card.display_code) == 14
    typed = f"  {card.display_code.lower()[:7]} {card.display_code.lower()[7:]} "
    assert gift_code_normalise(typed) == card.code


def test_codes_are_not_repeated():
    codes = {active_card(amount=1000).code for _ in range(30)}
    assert len(codes) == 30


# --- issue --------------------------------------------------------------------------------------


def test_a_bought_card_is_usable_only_once_issued_and_is_valid_a_year():
    card = giftcard_create(amount_cents=5000, buyer_name="Ada", buyer_email="ada@example.com")
    assert card.status == GiftCardStatus.PENDING_PAYMENT and card.balance_cents == 0
    card = giftcard_issue(gift_card_id=card.pk)
    giftcard_issue(gift_card_id=card.pk)  # twice: issued once
    card.refresh_from_db()
    assert card.status == GiftCardStatus.ACTIVE and card.balance_cents == 5000
    assert list(card.entries.values_list("kind", "amount_cents")) == [(Kind.ISSUE, 5000)]
    assert timedelta(days=364) < card.expires_at - timezone.now() <= timedelta(days=365)
    assert card.status_changes.get().to_status == GiftCardStatus.ACTIVE


@pytest.mark.parametrize("amount", [0, 999, 50001, 10**9])
def test_a_bought_amount_outside_the_limits_is_refused(amount):
    with pytest.raises(BookingError):
        giftcard_create(amount_cents=amount, buyer_name="Ada", buyer_email="ada@example.com")
    assert not GiftCard.objects.exists()


def test_the_balance_cannot_go_below_zero_in_the_database():
    card = active_card(amount=1000)
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=card.pk).update(balance_cents=-1)


# --- redeem -------------------------------------------------------------------------------------


def test_a_card_paying_part_reserves_then_is_used_when_the_card_payment_confirms(adult):
    card = active_card(amount=5000)
    order = book(adult, 2, code=card.display_code.lower(), cents=5000)  # 80 € order
    card.refresh_from_db()
    assert card.balance_cents == 0
    assert order_card_cents(order) == 3000
    assert list(card.entries.values_list("kind", "amount_cents"))[-1] == (Kind.RESERVE, -5000)
    pay_by_card(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    kinds = list(card.entries.order_by("pk").values_list("kind", "amount_cents"))
    assert kinds == [
        (Kind.ISSUE, 5000),
        (Kind.RESERVE, -5000),
        (Kind.RELEASE, 5000),
        (Kind.USE, -5000),
    ]
    split = order_payment_split(order)
    assert (split.method, split.gift_card_cents, split.card_cents) == ("both", 5000, 3000)
    assert_ledger_consistent(card)


def test_a_card_paying_all_needs_no_card_step_and_keeps_the_rest(adult):
    card = active_card(amount=10000)
    order = book(adult, 1, code=card.code, cents=10000)  # 40 € order
    assert order_card_cents(order) == 0
    order = order_pay_by_gift_card(order_id=order.pk)
    assert order.status == OrderStatus.CONFIRMED and order.payment_intent_id == ""
    assert order.tickets.count() == 1
    card.refresh_from_db()
    assert card.balance_cents == 6000
    assert order_payment_split(order).method == "gift_card"
    assert_ledger_consistent(card)


def test_a_second_checkout_is_told_what_is_left(adult):
    card = active_card(amount=5000)
    book(adult, 1, code=card.code, cents=5000)  # takes 40 €
    with pytest.raises(BookingError) as exc:
        # Another customer (the same one booking again would replace their unpaid order).
        book(adult, 2, code=card.code, cents=5000, email="dora@example.com")  # only 10 € left
    assert "10.00" in exc.value.message and exc.value.field == "gift_code"
    assert Order.objects.count() == 1  # nothing half-saved: no order, no seat
    assert adult.workshop.slots.get().seats_taken == 1
    assert_ledger_consistent(card)


def test_an_expired_or_cancelled_card_cannot_be_used(adult):
    expired = active_card()
    GiftCard.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(BookingError, match="expired"):
        book(adult, 1, code=expired.code, cents=4000)
    cancelled = active_card()
    giftcard_cancel(gift_card_id=cancelled.pk, actor=Actor.ops())
    with pytest.raises(BookingError, match="cannot be used"):
        book(adult, 1, code=cancelled.code, cents=4000)
    with pytest.raises(BookingError, match="not valid"):
        book(adult, 1, code="ACDE-FGHJ-KMNP", cents=4000)
    assert not Order.objects.exists()


def test_a_lapsed_checkout_releases_the_reservation(adult):
    card = active_card(amount=5000)
    order = book(adult, 2, code=card.code, cents=5000)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        order_expire_hold(order_id=order.pk)
    order.refresh_from_db()
    card.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert card.balance_cents == 5000
    assert card.entries.order_by("pk").last().kind == Kind.RELEASE
    assert_ledger_consistent(card)


def test_a_declined_card_payment_releases_the_reservation(adult):
    card = active_card(amount=1000)
    order = book(adult, 1, code=card.code, cents=1000)
    order_apply_payment_state(
        order_id=order.pk,
        state=IntentState(
            reference="dev_x", status=IntentStatus.FAILED, amount_cents=3000, currency="EUR"
        ),
    )
    card.refresh_from_db()
    assert card.balance_cents == 1000
    assert_ledger_consistent(card)


def test_a_cancelled_order_goes_back_to_the_gift_card_never_to_cash(
    adult, django_capture_on_commit_callbacks
):
    card = active_card(amount=10000)
    order = book(adult, 1, code=card.code, cents=10000)
    order_pay_by_gift_card(order_id=order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_and_refund(order_id=order.pk, reason="Kiln broke")
        order_cancel_and_refund(order_id=order.pk, reason="Kiln broke")  # twice: once
    card.refresh_from_db()
    assert card.balance_cents == 10000
    assert card.entries.filter(kind=Kind.REFUND).get().amount_cents == 4000
    assert not PaymentEvent.objects.filter(order=order).exclude(kind="authorised").exists()
    assert_ledger_consistent(card)


def test_a_cancelled_order_paid_by_both_refunds_each_part_where_it_came_from(
    adult, django_capture_on_commit_callbacks
):
    card = active_card(amount=1000)
    order = book(adult, 1, code=card.code, cents=1000)
    pay_by_card(order)
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel_and_refund(order_id=order.pk)
    card.refresh_from_db()
    assert card.balance_cents == 1000
    refund = PaymentEvent.objects.get(order=order, kind="refunded")
    assert refund.amount_cents == 3000  # only what the bank card paid
    assert_ledger_consistent(card)


# --- ops ----------------------------------------------------------------------------------------


def test_cancel_empties_the_card_with_a_history_row():
    card = active_card(amount=3000)
    giftcard_cancel(gift_card_id=card.pk, actor=Actor.ops(), message="fraud")
    card.refresh_from_db()
    assert card.status == GiftCardStatus.CANCELLED and card.balance_cents == 0
    assert card.entries.order_by("pk").last().kind == Kind.CANCEL
    assert card.status_changes.last().message == "fraud"
    assert_ledger_consistent(card)


def test_extend_moves_the_expiry_later_only():
    card = active_card()
    later = card.expires_at + timedelta(days=90)
    giftcard_extend(gift_card_id=card.pk, until=later, actor=Actor.ops())
    card.refresh_from_db()
    assert card.expires_at == later
    assert "extended" in card.status_changes.last().message
    with pytest.raises(BookingError):
        giftcard_extend(gift_card_id=card.pk, until=later - timedelta(days=1), actor=Actor.ops())


def test_expired_cards_leave_the_ledger_once():
    card = active_card(amount=2000)
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        assert giftcards_expire_overdue() == 1
        assert giftcards_expire_overdue() == 0
    card.refresh_from_db()
    assert card.balance_cents == 0
    assert card.entries.filter(kind=Kind.EXPIRE).get().amount_cents == -2000
    assert_ledger_consistent(card)


# --- sending ------------------------------------------------------------------------------------


def test_a_card_for_a_later_day_is_emailed_on_that_day_once():
    send_on = site_today() + timedelta(days=3)
    card = active_card(send_on=send_on)
    assert not Notification.objects.filter(recipient="bob@example.com").exists()
    assert giftcards_send_due() == 0
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert giftcards_send_due() == 1
        assert giftcards_send_due() == 0
    mail = Notification.objects.get(recipient="bob@example.com")
    assert card.display_code in mail.body_text
    card.refresh_from_db()
    assert card.sent_at is not None


def test_a_card_for_today_goes_at_once_and_one_to_print_goes_to_the_buyer():
    active_card()
    active_card(recipient_name="", recipient_email="")
    assert Notification.objects.filter(recipient="bob@example.com").count() == 1
    assert Notification.objects.filter(recipient="ada@example.com").count() == 1
    assert giftcards_send_due() == 0


# --- a cancelled booking turned into a gift card ------------------------------------------------


def test_a_booking_turned_into_a_gift_card_of_its_value_with_no_cash_refund(
    adult, django_capture_on_commit_callbacks
):
    old = active_card(amount=1000)
    order = book(adult, 2, code=old.code, cents=1000)  # 80 €: 10 € gift card, 70 € card
    pay_by_card(order)
    with django_capture_on_commit_callbacks(execute=True):
        card = giftcard_issue_for_order(order_id=order.pk, actor=Actor(kind="customer"))
        again = giftcard_issue_for_order(order_id=order.pk, actor=Actor(kind="customer"))
    assert again.pk == card.pk
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and not order.holds_seats
    assert card.amount_cents == card.balance_cents == 8000
    assert card.status == GiftCardStatus.ACTIVE
    assert timedelta(days=364) < card.expires_at - timezone.now() <= timedelta(days=365)
    refund = PaymentEvent.objects.get(order=order, kind="refunded")
    assert refund.provider == "giftcard" and refund.amount_cents == 7000  # never to cash
    old.refresh_from_db()
    assert old.balance_cents == 0  # its 10 € are in the new card, not given twice
    assert Notification.objects.filter(
        recipient="cleo@example.com", template__contains="giftcard"
    ).exists()
    assert_ledger_consistent(card)


def test_only_a_confirmed_booking_can_be_turned_into_a_gift_card(adult):
    order = book(adult, 1)
    with pytest.raises(BookingError):
        giftcard_issue_for_order(order_id=order.pk, actor=Actor())
    assert not GiftCard.objects.exists()


def test_every_card_balance_is_the_sum_of_its_entries(adult):
    cards = [active_card(amount=5000) for _ in range(3)]
    for card in cards:
        book(adult, 1, code=card.code, cents=5000)
    assert all(
        c.balance_cents == (c.entries.aggregate(s=Sum("amount_cents"))["s"] or 0)
        for c in GiftCard.objects.all()
    )
    assert GiftCardEntry.objects.filter(amount_cents=0).count() == 0


def test_the_payment_split_of_many_orders_takes_one_query(adult, django_assert_num_queries):
    card = active_card(amount=5000)
    orders = [
        book(adult, 1),
        book(adult, 1, code=card.code, cents=1000),
        book(adult, 1, code=card.code, cents=4000),
    ]
    with django_assert_num_queries(1):
        splits = orders_payment_split(orders)
    assert [splits[o.pk].method for o in orders] == ["card", "both", "gift_card"]
    assert splits[orders[1].pk].card_cents == 3000


def test_a_reservation_released_after_the_card_was_cancelled_does_not_refill_it(adult):
    card = active_card(amount=5000)
    order = book(adult, 1, code=card.code, cents=5000)
    giftcard_cancel(gift_card_id=card.pk, actor=Actor.ops())
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        order_expire_hold(order_id=order.pk)
    card.refresh_from_db()
    assert card.balance_cents == 0
    assert_ledger_consistent(card)
