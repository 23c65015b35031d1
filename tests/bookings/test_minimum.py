"""Minimum participants: the check, the artisan's Uphold / Cancel, the system's cancellation."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from bookings.models import Slot, SlotStatusChange
from bookings.services.errors import BookingError
from bookings.services.minimum import (
    MINIMUM_SALT,
    minimum_decide_url,
    slot_minimum_decide,
    slots_minimum_check,
    slots_minimum_expire,
)
from bookings.services.slots import slot_cancel
from bookings.signed_links import link_sign
from bookings.states import (
    SYSTEM,
    Actor,
    ActorKind,
    MinimumDecision,
    OrderStatus,
    SlotKind,
    SlotStatus,
)
from notifications.models import Notification
from tests.factories import OrderFactory, SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)  # 9 days after NOW
CHECK = START - timedelta(days=7)
DECISION = START - timedelta(days=4)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def workshop():
    return WorkshopFactory(min_participants=3, min_check_days=7, min_decision_days=4)


@pytest.fixture
def slot(workshop):
    return SlotFactory(workshop=workshop, starts_at=START, ends_at=START + timedelta(hours=2))


def artisan_messages(slot):
    return Notification.objects.filter(idempotency_key__startswith=f"slot:{slot.pk}:minimum:")


def customer_cancellations():
    return Notification.objects.filter(template="bookings/emails/order_choose")


def test_below_minimum_at_check_time_asks_the_artisan_once_by_email_and_sms(slot):
    OrderFactory(slot=slot, seats=2)
    assert slots_minimum_check(now=CHECK) == 1
    assert slots_minimum_check(now=CHECK + timedelta(minutes=5)) == 0
    rows = artisan_messages(slot)
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "sms"]
    artisan = slot.workshop.artisan
    assert set(rows.values_list("recipient", flat=True)) == {artisan.email, artisan.phone}
    sms = rows.get(channel="sms")
    assert minimum_decide_url(slot) in sms.body_text and "2/3" in sms.body_text
    # The email says until when (the decision time, on the workshop's clock: 6 June, 10:00).
    email = rows.get(channel="email")
    assert "Uphold it or cancel it by Saturday, 6 June 2026, 10:00" in email.body_text
    slot.refresh_from_db()
    assert slot.min_checked_at == CHECK and slot.min_decide_by == DECISION


def test_nothing_happens_before_the_check_time(slot):
    assert slots_minimum_check(now=CHECK - timedelta(minutes=1)) == 0
    slot.refresh_from_db()
    assert slot.min_checked_at is None and not artisan_messages(slot).exists()


def test_a_slot_at_its_minimum_is_counted_and_nobody_is_asked(slot):
    OrderFactory(slot=slot, seats=3)
    assert slots_minimum_check(now=CHECK) == 0
    slot.refresh_from_db()
    assert slot.min_checked_at == CHECK and slot.min_decide_by is None
    assert not artisan_messages(slot).exists()
    assert slots_minimum_expire(now=DECISION + timedelta(hours=1)) == 0
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN


def test_only_confirmed_seats_count_towards_the_minimum(slot):
    OrderFactory(slot=slot, seats=1)
    OrderFactory(slot=slot, seats=4, status=OrderStatus.PENDING_PAYMENT)
    assert slots_minimum_check(now=CHECK) == 1


def test_workshops_without_minimum_and_private_slots_are_not_checked(workshop):
    free = SlotFactory(
        workshop=WorkshopFactory(), starts_at=START, ends_at=START + timedelta(hours=2)
    )
    private = SlotFactory(
        workshop=workshop,
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        kind=SlotKind.PRIVATE,
    )
    assert slots_minimum_check(now=CHECK) == 0
    assert not artisan_messages(free).exists() and not artisan_messages(private).exists()


def test_check_run_after_the_decision_time_asks_nobody_and_the_slot_runs(slot):
    # The minimum was set (or the beat was down) past the decision time: no surprise cancel.
    assert slots_minimum_check(now=DECISION + timedelta(hours=1)) == 0
    assert slots_minimum_expire(now=DECISION + timedelta(hours=2)) == 0
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN


def test_the_artisan_upholds_the_slot_runs_and_no_more_messages(slot):
    order = OrderFactory(slot=slot, seats=1)
    slots_minimum_check(now=CHECK)
    artisan = Actor.artisan(slot.workshop.artisan.user)
    upheld = slot_minimum_decide(slot_id=slot.pk, uphold=True, actor=artisan, now=CHECK)
    assert upheld.min_decision == MinimumDecision.UPHELD and upheld.min_decided_at == CHECK
    assert slots_minimum_expire(now=DECISION + timedelta(hours=1)) == 0
    slot.refresh_from_db()
    order.refresh_from_db()
    assert slot.status == SlotStatus.OPEN and order.status == OrderStatus.CONFIRMED
    history = SlotStatusChange.objects.filter(slot=slot, from_status="open", to_status="open")
    assert history.get().actor_kind == ActorKind.ARTISAN
    assert artisan_messages(slot).count() == 2 and not customer_cancellations().exists()


def test_the_artisan_cancels_customers_are_told_and_the_history_says_who(slot):
    orders = [OrderFactory(slot=slot, seats=1), OrderFactory(slot=slot, seats=1)]
    slots_minimum_check(now=CHECK)
    user = slot.workshop.artisan.user
    cancelled = slot_minimum_decide(
        slot_id=slot.pk, uphold=False, actor=Actor.artisan(user), now=CHECK
    )
    assert cancelled.status == SlotStatus.CANCELLED
    assert cancelled.min_decision == MinimumDecision.CANCELLED
    for order in orders:
        order.refresh_from_db()
        assert order.status == OrderStatus.AWAITING_CHOICE  # each customer chooses
    told = customer_cancellations()
    assert sorted(told.values_list("channel", flat=True)) == ["email", "email", "sms", "sms"]
    change = SlotStatusChange.objects.get(slot=slot, to_status=SlotStatus.CANCELLED)
    assert (change.actor_kind, change.actor_user_id) == (ActorKind.ARTISAN, user.pk)
    assert "Too few participants" in change.message


def test_without_an_answer_the_system_cancels_at_the_decision_time_even_if_the_beat_ran_late(slot):
    order = OrderFactory(slot=slot, seats=1)
    slots_minimum_check(now=CHECK)
    assert slots_minimum_expire(now=DECISION - timedelta(seconds=1)) == 0
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN
    # The beat was down for two days: the next run still cancels (the start is ahead).
    assert slots_minimum_expire(now=DECISION + timedelta(days=2)) == 1
    slot.refresh_from_db()
    order.refresh_from_db()
    assert slot.status == SlotStatus.CANCELLED and slot.min_decision == MinimumDecision.EXPIRED
    assert order.status == OrderStatus.AWAITING_CHOICE  # each customer chooses
    change = SlotStatusChange.objects.get(slot=slot, to_status=SlotStatus.CANCELLED)
    assert change.actor_kind == ActorKind.SYSTEM
    told = Notification.objects.get(idempotency_key=f"slot:{slot.pk}:minimum_cancelled:email")
    assert told.recipient == slot.workshop.artisan.email
    assert slots_minimum_expire(now=DECISION + timedelta(days=2)) == 0


def test_the_artisan_cannot_answer_after_the_decision_time(slot):
    slots_minimum_check(now=CHECK)
    with pytest.raises(BookingError):
        slot_minimum_decide(
            slot_id=slot.pk,
            uphold=True,
            actor=Actor.artisan(slot.workshop.artisan.user),
            now=DECISION,
        )
    assert Slot.objects.get(pk=slot.pk).min_decision == ""


def test_the_system_does_not_cancel_before_the_decision_time(slot):
    slots_minimum_check(now=CHECK)
    with pytest.raises(BookingError):
        slot_minimum_decide(slot_id=slot.pk, uphold=False, actor=SYSTEM, now=CHECK)


def test_an_empty_slot_below_minimum_is_cancelled_without_messages_to_customers(slot):
    slots_minimum_check(now=CHECK)
    assert artisan_messages(slot).count() == 2
    assert slots_minimum_expire(now=DECISION) == 1
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.CANCELLED
    assert Notification.objects.exclude(idempotency_key__startswith="slot:").count() == 0


def test_a_double_tap_decides_once(slot):
    OrderFactory(slot=slot, seats=1)
    slots_minimum_check(now=CHECK)
    artisan = Actor.artisan(slot.workshop.artisan.user)
    slot_minimum_decide(slot_id=slot.pk, uphold=True, actor=artisan, now=CHECK)
    again = slot_minimum_decide(slot_id=slot.pk, uphold=False, actor=artisan, now=CHECK)
    assert again.min_decision == MinimumDecision.UPHELD and again.status == SlotStatus.OPEN
    assert SlotStatusChange.objects.filter(slot=slot, from_status="open").count() == 1


# --- the signed page --------------------------------------------------------------------------


def decide_path(slot):
    return reverse("backoffice:minimum_decide", args=[link_sign(slot.pk, salt=MINIMUM_SALT)])


def test_the_signed_link_shows_the_slot_and_upholds_it_without_signing_in(client, slot):
    OrderFactory(slot=slot, seats=1)
    slots_minimum_check(now=CHECK)
    path = decide_path(slot)
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert slot.workshop.title in html and "1 confirmed participant, for a minimum of 3" in html
    response = client.post(path, {"action": "uphold"})
    assert response.status_code == 302 and response["Location"] == path
    assert Slot.objects.get(pk=slot.pk).min_decision == MinimumDecision.UPHELD
    after = client.get(path).content.decode()
    assert "This date is upheld" in after and 'name="action"' not in after
    # A second tap (cancel, from a stale page) changes nothing.
    client.post(path, {"action": "cancel"})
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN


def test_the_signed_link_cancels(client, slot):
    order = OrderFactory(slot=slot, seats=1)
    slots_minimum_check(now=CHECK)
    path = decide_path(slot)
    client.post(path, {"action": "cancel"})
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_CHOICE  # each customer chooses
    assert "This date is cancelled" in client.get(path).content.decode()


def test_the_signed_link_opens_in_the_artisans_language(client, slot):
    slot.workshop.artisan.language = "fr"
    slot.workshop.artisan.save()
    slots_minimum_check(now=CHECK)
    html = client.get(decide_path(slot)).content.decode()
    assert 'lang="fr"' in html and "Maintenir" in html


@pytest.mark.parametrize(
    "signature",
    [
        lambda pk: link_sign(pk, salt=MINIMUM_SALT)[:-1],  # truncated
        lambda pk: link_sign(pk, salt=MINIMUM_SALT)[:-2] + "xx",  # tampered
        lambda pk: signing.dumps(pk, salt="privatisation.manage"),  # signed for something else
        lambda pk: signing.dumps(pk, key="not-our-secret-key-0123456789", salt=MINIMUM_SALT),
        lambda pk: link_sign(pk + 1000, salt=MINIMUM_SALT),  # no such slot
        lambda pk: str(pk),
    ],
)
def test_a_bad_link_is_404_and_changes_nothing(client, slot, signature):
    slots_minimum_check(now=CHECK)
    path = reverse("backoffice:minimum_decide", args=[signature(slot.pk)])
    assert client.get(path).status_code == 404
    assert client.post(path, {"action": "cancel"}).status_code == 404
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN


def test_a_link_to_a_slot_never_asked_is_404(client, slot):
    assert client.get(decide_path(slot)).status_code == 404


def test_past_the_decision_time_the_link_says_expired_and_acts_no_more(client, slot, _clock):
    slots_minimum_check(now=CHECK)
    _clock.move_to(DECISION + timedelta(minutes=1))
    path = decide_path(slot)
    page = client.get(path)
    assert page.status_code == 410 and "This link has expired" in page.content.decode()
    assert client.post(path, {"action": "uphold"}).status_code in (400, 410)
    assert Slot.objects.get(pk=slot.pk).min_decision == ""


def test_an_unknown_action_changes_nothing(client, slot):
    slots_minimum_check(now=CHECK)
    assert client.post(decide_path(slot), {"action": "x" * 10_000}).status_code == 200
    assert Slot.objects.get(pk=slot.pk).min_decision == ""


def test_bookings_after_the_question_reach_the_minimum_and_the_system_does_not_cancel(slot):
    OrderFactory(slot=slot, seats=1)
    slots_minimum_check(now=CHECK)
    OrderFactory(slot=slot, seats=2)  # booked after the artisan was asked
    assert slots_minimum_expire(now=DECISION) == 0
    slot.refresh_from_db()
    assert slot.status == SlotStatus.OPEN and slot.min_decision == MinimumDecision.REACHED
    history = SlotStatusChange.objects.get(slot=slot, from_status="open", to_status="open")
    assert history.actor_kind == ActorKind.SYSTEM
    assert not customer_cancellations().exists()


def test_a_slot_cancelled_from_the_calendar_meanwhile_is_left_alone(client, slot):
    slots_minimum_check(now=CHECK)
    slot_cancel(artisan=slot.workshop.artisan, slot_id=slot.pk, message="The kiln broke.")
    assert slots_minimum_expire(now=DECISION) == 0
    html = client.get(decide_path(slot)).content.decode()
    assert "This date was cancelled from your calendar." in html
