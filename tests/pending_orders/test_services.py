from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from bookings.models import Order, PaymentEvent
from bookings.payments.base import PaymentDeclined, PaymentUnavailable
from bookings.states import OrderStatus, PaymentEventKind
from notifications.models import Notification
from pending_orders import services
from pending_orders.models import PendingOrderState
from pending_orders.services import OrdersNotFound
from tests.factories import ArtisanFactory, PendingOrderFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot():
    return SlotFactory(capacity=4)


def artisan_of(order):
    return order.slot.workshop.artisan


def accept(orders, capture, message="", **kw):
    with capture(execute=True):
        return services.orders_accept(
            artisan=artisan_of(orders[0]), order_ids=[o.pk for o in orders], message=message, **kw
        )


def test_accept_takes_seats_captures_and_confirms(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    orders = [PendingOrderFactory(slot=slot, seats=2), PendingOrderFactory(slot=slot, seats=1)]

    batch = accept(orders, django_capture_on_commit_callbacks)

    assert sorted(batch.done_ids) == sorted(o.pk for o in orders)
    for order in orders:
        order.refresh_from_db()
        assert order.status == OrderStatus.CONFIRMED
        assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).count() == 1
    slot.refresh_from_db()
    assert slot.seats_taken == 3
    assert sorted(k for *_, k in gateway.captures) == sorted(
        f"order:{o.pk}:capture" for o in orders
    )


def test_accept_refused_with_reason_when_slot_would_overflow(
    gateway, celery_eager, django_capture_on_commit_callbacks
):
    slot = SlotFactory(capacity=3, seats_taken=1)
    first, second = PendingOrderFactory(slot=slot, seats=2), PendingOrderFactory(slot=slot, seats=1)

    batch = accept([first, second], django_capture_on_commit_callbacks)

    assert batch.done_ids == [first.pk]
    assert "Not enough seats" in batch.errors[str(second.pk)]
    second.refresh_from_db()
    assert second.status == OrderStatus.AWAITING_CONFIRMATION
    slot.refresh_from_db()
    assert slot.seats_taken == 3


def test_accept_returns_before_capture_leaving_orders_capturing(
    slot, gateway, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(
        services.dispatch, "dispatch_captures", lambda ids: published.append(list(ids))
    )
    order = PendingOrderFactory(slot=slot)

    accept([order], django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.CAPTURING
    assert published == [[order.pk]]
    assert gateway.captures == []


def test_accepting_twice_is_idempotent(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    order = PendingOrderFactory(slot=slot)
    accept([order], django_capture_on_commit_callbacks)

    batch = accept([order], django_capture_on_commit_callbacks)

    assert batch.already_ids == [order.pk] and batch.done_ids == []
    assert len(gateway.captures) == 1
    slot.refresh_from_db()
    assert slot.seats_taken == 1


def test_duplicate_capture_task_never_captures_twice(
    slot, gateway, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    order = PendingOrderFactory(slot=slot)
    accept([order], django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.order_capture(order_id=order.pk) == OrderStatus.CONFIRMED
        assert services.order_capture(order_id=order.pk) == OrderStatus.CONFIRMED

    assert len(gateway.captures) == 1
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).count() == 1


def test_capture_claimed_by_another_worker_is_not_started_again(
    slot, gateway, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    order = PendingOrderFactory(slot=slot)
    accept([order], django_capture_on_commit_callbacks)
    PendingOrderState.objects.filter(pk=order.pk).update(capture_claimed_at=timezone.now())

    assert services.order_capture(order_id=order.pk) == "in_progress"
    assert gateway.captures == []


def test_capture_declined_leaves_visible_failed_state_with_reason(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    gateway.fail_capture = PaymentDeclined("Your card was declined.", code="card_declined")
    order = PendingOrderFactory(slot=slot)

    accept([order], django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.CAPTURE_FAILED
    assert order.payment_error == "Your card was declined."
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.FAILED).exists()
    assert not PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).exists()
    assert not order.tickets.exists()


def test_retry_after_failed_capture_confirms(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    gateway.fail_capture = PaymentDeclined("Insufficient funds.")
    order = PendingOrderFactory(slot=slot)
    accept([order], django_capture_on_commit_callbacks)
    gateway.fail_capture = None

    with django_capture_on_commit_callbacks(execute=True):
        batch = services.orders_retry_capture(artisan=artisan_of(order), order_ids=[order.pk])

    assert batch.done_ids == [order.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    slot.refresh_from_db()
    assert slot.seats_taken == 1


def test_transient_capture_error_keeps_capturing_for_a_retry(
    slot, gateway, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    gateway.fail_capture = PaymentUnavailable("Stripe is unreachable.")
    order = PendingOrderFactory(slot=slot)
    accept([order], django_capture_on_commit_callbacks)

    with pytest.raises(PaymentUnavailable):
        services.order_capture(order_id=order.pk)

    order.refresh_from_db()
    assert order.status == OrderStatus.CAPTURING
    assert PendingOrderState.objects.get(pk=order.pk).capture_claimed_at is None


def test_refuse_releases_hold_and_emails_the_message(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    order = PendingOrderFactory(slot=slot, customer_email="ines@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        batch = services.orders_refuse(
            artisan=artisan_of(order), order_ids=[order.pk], message="Sorry, the kiln <broke>."
        )

    assert batch.done_ids == [order.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUSED
    assert order.decision_message == "Sorry, the kiln <broke>."
    assert gateway.cancels == [(order.payment_intent_id, f"order:{order.pk}:release")]
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.RELEASED).count() == 1
    assert gateway.captures == []
    sent = [m for m in mail.outbox if m.to == ["ines@example.com"]]
    assert len(sent) == 1 and "Sorry, the kiln <broke>." in sent[0].body


def test_refusing_a_confirmed_order_gives_a_clear_answer(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    order = PendingOrderFactory(slot=slot)
    accept([order], django_capture_on_commit_callbacks)

    batch = services.orders_refuse(artisan=artisan_of(order), order_ids=[order.pk])

    assert batch.errors == {str(order.pk): "This order was already accepted."}
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_refusing_capture_failed_order_gives_back_its_seats(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    gateway.fail_capture = PaymentDeclined("Declined.")
    order = PendingOrderFactory(slot=slot, seats=2)
    accept([order], django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        services.orders_refuse(artisan=artisan_of(order), order_ids=[order.pk])

    slot.refresh_from_db()
    assert slot.seats_taken == 0


def test_another_artisans_orders_are_not_found(slot, gateway):
    order = PendingOrderFactory(slot=slot)
    intruder = ArtisanFactory()

    with pytest.raises(OrdersNotFound):
        services.orders_accept(artisan=intruder, order_ids=[order.pk])
    with pytest.raises(OrdersNotFound):
        services.orders_refuse(artisan=intruder, order_ids=[order.pk])
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CONFIRMATION


def test_overdue_order_cannot_be_accepted_even_before_the_sweep(slot, gateway):
    order = PendingOrderFactory(slot=slot, decide_by=timezone.now() - timedelta(minutes=1))

    batch = services.orders_accept(artisan=artisan_of(order), order_ids=[order.pk])

    assert "expired" in batch.errors[str(order.pk)]
    assert services.display_status(order) == OrderStatus.EXPIRED


def test_expire_overdue_cancels_hold_and_tells_both_sides(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    overdue = PendingOrderFactory(
        slot=slot,
        decide_by=timezone.now() - timedelta(minutes=1),
        customer_email="late@example.com",
    )
    fresh = PendingOrderFactory(slot=slot)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.orders_expire_overdue() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.orders_expire_overdue() == 0

    overdue.refresh_from_db()
    fresh.refresh_from_db()
    assert (
        overdue.status == OrderStatus.EXPIRED and fresh.status == OrderStatus.AWAITING_CONFIRMATION
    )
    assert gateway.cancels == [(overdue.payment_intent_id, f"order:{overdue.pk}:release")]
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(["late@example.com", artisan_of(overdue).email])


def test_expire_runs_in_batches(slot, gateway):
    for _ in range(5):
        PendingOrderFactory(slot=slot, decide_by=timezone.now() - timedelta(minutes=1))

    assert services.orders_expire_overdue(batch_size=2) == 5
    assert not Order.objects.filter(status=OrderStatus.AWAITING_CONFIRMATION).exists()


def test_reminder_goes_once_24_hours_before_the_deadline(slot):
    order = PendingOrderFactory(slot=slot, decide_by=timezone.now() + timedelta(hours=30))
    assert services.orders_send_reminders() == 0

    with time_machine.travel(timezone.now() + timedelta(hours=7)):
        assert services.orders_send_reminders() == 1
        assert services.orders_send_reminders() == 0

    order.refresh_from_db()
    assert order.reminder_sent_at is not None
    assert (
        Notification.objects.filter(
            recipient=artisan_of(order).email, template__endswith="orders_reminder"
        ).count()
        == 1
    )


def test_digest_goes_once_per_batch_of_new_orders(slot):
    first = PendingOrderFactory(slot=slot)
    assert services.artisans_send_digests() == 1
    assert services.artisans_send_digests() == 0

    PendingOrderFactory(slot=slot)
    assert services.artisans_send_digests() == 1

    digests = Notification.objects.filter(
        recipient=artisan_of(first).email, template__endswith="orders_digest"
    )
    assert digests.count() == 2


# --- with the dev gateway and bookings' confirm step (no fake) ----------------------------------


@pytest.fixture
def confirm_first(slot):
    from tests.factories import ConfirmFirstTicketTypeFactory

    return ConfirmFirstTicketTypeFactory(workshop=slot.workshop)


def dev_order(slot, ticket_type, **kw):
    from pending_orders.demo import authorised_order

    return authorised_order(
        slot=slot,
        ticket_type=ticket_type,
        customer_name="Inès",
        customer_email="ines@example.com",
        **kw,
    )


def test_accept_on_dev_gateway_issues_tickets_and_emails_qr_codes(
    slot, confirm_first, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = dev_order(slot, confirm_first, seats=2)
    assert order.status == OrderStatus.AWAITING_CONFIRMATION and order.decide_by is not None
    mail.outbox.clear()

    accept([order], django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.tickets.count() == 2
    from bookings.models import DevPayment

    assert DevPayment.objects.get(reference=order.payment_intent_id).status == "succeeded"
    confirmation = [m for m in mail.outbox if m.to == ["ines@example.com"]]
    assert len(confirmation) == 1
    assert sum(1 for a in confirmation[0].attachments if a[2] == "image/png") == 2
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.CAPTURED).count() == 1
    slot.refresh_from_db()
    assert slot.seats_taken == 2


def test_declined_at_capture_on_dev_gateway_is_capture_failed(
    slot, confirm_first, celery_eager, django_capture_on_commit_callbacks
):
    from bookings.models import DevPayment

    order = dev_order(slot, confirm_first)
    DevPayment.objects.filter(reference=order.payment_intent_id).update(decline_on_capture=True)

    accept([order], django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.CAPTURE_FAILED
    assert order.payment_error == "The card was declined when it was charged."
    assert not order.tickets.exists()


def test_lapsed_authorisation_sends_a_payment_link_with_its_own_deadline(
    slot, confirm_first, celery_eager, django_capture_on_commit_callbacks
):
    from bookings.models import DevPayment
    from bookings.payments.dev import DevGateway
    from bookings.services import order_apply_payment_state

    order = dev_order(slot, confirm_first)
    DevPayment.objects.filter(reference=order.payment_intent_id).update(
        capture_before=timezone.now() - timedelta(minutes=1)
    )
    mail.outbox.clear()

    accept([order], django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.holds_seats and order.hold_expires_at > timezone.now()
    link_mail = [m for m in mail.outbox if m.to == ["ines@example.com"]]
    assert len(link_mail) == 1 and f"/pay/dev/{order.payment_intent_id}/" in link_mail[0].body
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.FAILED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        state = DevGateway().customer_pays(order.payment_intent_id)
        order_apply_payment_state(order_id=order.pk, state=state)

    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.tickets.count() == 1
    slot.refresh_from_db()
    assert slot.seats_taken == 1


def test_refuse_on_dev_gateway_cancels_the_authorisation(
    slot, confirm_first, celery_eager, django_capture_on_commit_callbacks
):
    from bookings.models import DevPayment

    order = dev_order(slot, confirm_first)

    with django_capture_on_commit_callbacks(execute=True):
        services.orders_refuse(
            artisan=artisan_of(order), order_ids=[order.pk], message="Fully booked, sorry."
        )

    assert DevPayment.objects.get(reference=order.payment_intent_id).status == "cancelled"
    assert PaymentEvent.objects.filter(order=order, kind=PaymentEventKind.RELEASED).count() == 1


def test_seed_demo_pending_orders_is_idempotent(celery_eager):
    from django.core.management import call_command

    call_command("seed_demo")
    call_command("seed_demo_pending_orders")
    call_command("seed_demo_pending_orders")

    waiting = Order.objects.filter(status=OrderStatus.AWAITING_CONFIRMATION)
    assert waiting.count() == 2
    assert all(o.payment_provider == "dev" and o.decide_by for o in waiting)


def test_capture_task_gives_up_after_its_retries_with_a_visible_reason(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    gateway.fail_capture = PaymentUnavailable("The payment provider cannot be reached.")
    order = PendingOrderFactory(slot=slot)

    accept([order], django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.status == OrderStatus.CAPTURE_FAILED
    assert order.payment_error == "The payment provider cannot be reached."
    from pending_orders.tasks import CAPTURE_MAX_RETRIES

    assert len(gateway.captures) == CAPTURE_MAX_RETRIES + 1


def test_expiring_a_capture_failed_order_gives_back_its_seats(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    gateway.fail_capture = PaymentDeclined("Declined.")
    order = PendingOrderFactory(slot=slot, seats=2)
    accept([order], django_capture_on_commit_callbacks)
    Order.objects.filter(pk=order.pk).update(decide_by=timezone.now() - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.orders_expire_overdue() == 1

    order.refresh_from_db()
    slot.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED and not order.holds_seats
    assert slot.seats_taken == 0
    assert gateway.cancels == [(order.payment_intent_id, f"order:{order.pk}:release")]


# --- history ----------------------------------------------------------------------------------


def _history(order):
    from bookings.models import OrderStatusChange

    return list(
        OrderStatusChange.objects.filter(order=order).values_list(
            "from_status", "to_status", "actor_kind"
        )
    )


def test_accept_capture_and_confirm_write_the_order_history(
    slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    order = PendingOrderFactory(slot=slot)
    user = artisan_of(order).user
    accept([order], django_capture_on_commit_callbacks, message="See you", actor=user)
    assert _history(order) == [
        (OrderStatus.AWAITING_CONFIRMATION, OrderStatus.CAPTURING, "artisan"),
        (OrderStatus.CAPTURING, OrderStatus.CONFIRMED, "system"),
    ]
    from bookings.models import OrderStatusChange

    first = OrderStatusChange.objects.filter(order=order).first()
    assert (first.actor_user_id, first.message) == (user.pk, "See you")


def test_refuse_and_expire_write_the_order_history(slot, gateway):
    refused, overdue = PendingOrderFactory(slot=slot), PendingOrderFactory(slot=slot)
    services.orders_refuse(artisan=artisan_of(refused), order_ids=[refused.pk], message="Full")
    Order.objects.filter(pk=overdue.pk).update(decide_by=timezone.now() - timedelta(minutes=1))
    assert services.orders_expire_overdue() == 1
    assert _history(refused) == [
        (OrderStatus.AWAITING_CONFIRMATION, OrderStatus.REFUSED, "artisan")
    ]
    assert _history(overdue) == [(OrderStatus.AWAITING_CONFIRMATION, OrderStatus.EXPIRED, "system")]


def test_ops_retry_from_the_admin_is_recorded_as_ops(slot, gateway, monkeypatch):
    order = PendingOrderFactory(slot=slot, status=OrderStatus.CAPTURE_FAILED)
    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    services.orders_retry_capture(artisan=artisan_of(order), order_ids=[order.pk], actor_kind="ops")
    assert _history(order) == [(OrderStatus.CAPTURE_FAILED, OrderStatus.CAPTURING, "ops")]
