"""The request's and its slots' audit trail, and the calendar's actions on slots a request holds."""

import pytest
from django.urls import reverse

from bookings.hooks import SlotClaim, slot_hooks
from bookings.models import Slot, SlotStatusChange
from bookings.services import BookingError
from bookings.services.slots import slot_cancel, slot_delete, slot_update
from bookings.states import ActorKind, OrderStatus, SlotStatus
from privatisation.models import Offer, RequestStatusChange
from privatisation.services.customer import privatisation_request_withdraw, request_paid
from privatisation.services.deadlines import privatisation_expire_overdue
from privatisation.services.respond import (
    privatisation_request_refuse,
    privatisation_request_respond,
)
from privatisation.states import RequestStatus
from tests.factories import OrderFactory, SlotFactory, WorkshopFactory, privatisation_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop():
    return WorkshopFactory(price_cents=5000, private_min_capacity=3, private_max_capacity=10)


def answer(req, *, n=1):
    return privatisation_request_respond(
        artisan=req.workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[p.pk for p in req.proposed_slots.order_by("starts_at")][:n],
        offer_starts=[],
        message="Happy to host you.",
    )


def history(req):
    return list(
        RequestStatusChange.objects.filter(request=req).values_list(
            "from_status", "to_status", "actor_kind"
        )
    )


# --- history ---------------------------------------------------------------------------------


def test_submit_then_answer_then_payment_write_the_request_history(workshop):
    req = privatisation_submit(workshop)
    answer(req, n=2)
    chosen, other = list(req.offers.select_related("slot").order_by("slot__starts_at"))
    order = OrderFactory(
        slot=chosen.slot,
        seats=req.participants,
        source="privatisation",
        status=OrderStatus.CONFIRMED,
    )
    request_paid(order)
    assert history(req) == [
        ("", RequestStatus.PENDING, ActorKind.CUSTOMER),
        (RequestStatus.PENDING, RequestStatus.ANSWERED, ActorKind.ARTISAN),
        (RequestStatus.ANSWERED, RequestStatus.CONFIRMED, ActorKind.CUSTOMER),
    ]
    answered = RequestStatusChange.objects.get(request=req, to_status=RequestStatus.ANSWERED)
    assert (
        answered.message == "Happy to host you."
        and answered.actor_user_id == workshop.artisan.user_id
    )
    slot_moves = list(
        SlotStatusChange.objects.filter(slot__in=[chosen.slot, other.slot])
        .order_by("slot__starts_at", "id")
        .values_list("from_status", "to_status")
    )
    assert slot_moves == [
        ("", SlotStatus.HELD),
        (SlotStatus.HELD, SlotStatus.OPEN),
        ("", SlotStatus.HELD),
        (SlotStatus.HELD, SlotStatus.CANCELLED),
    ]


def test_refuse_and_withdraw_are_in_the_history_with_their_message(workshop):
    refused = privatisation_submit(workshop)
    privatisation_request_refuse(
        artisan=workshop.artisan, request_id=refused.pk, message="Closed in August."
    )
    withdrawn = privatisation_submit(workshop)
    privatisation_request_withdraw(token=withdrawn.token)
    last = RequestStatusChange.objects.filter(request=refused).last()
    assert (last.to_status, last.actor_kind, last.message) == (
        RequestStatus.REFUSED,
        ActorKind.ARTISAN,
        "Closed in August.",
    )
    assert history(withdrawn)[-1] == (
        RequestStatus.PENDING,
        RequestStatus.WITHDRAWN,
        ActorKind.CUSTOMER,
    )


def test_expiry_writes_one_history_row_per_request_and_slot(workshop):
    import time_machine
    from django.utils import timezone

    unanswered = privatisation_submit(workshop)
    unpaid = privatisation_submit(workshop, email="late@example.com")
    answer(unpaid)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=5)):
        assert privatisation_expire_overdue() == 2
    for req in (unanswered, unpaid):
        assert history(req)[-1][1:] == (RequestStatus.EXPIRED, ActorKind.SYSTEM)
    slot = unpaid.offers.get().slot
    assert SlotStatusChange.objects.filter(slot=slot).last().to_status == SlotStatus.CANCELLED


def test_request_history_is_on_the_manage_page(client, workshop):
    req = privatisation_submit(workshop)
    answer(req)
    client.force_login(workshop.artisan.user)
    page = client.get(reverse("privatisation:manage", args=[req.pk])).content.decode()
    assert "History" in page and "Waiting for the customer" in page


# --- held slots on the calendar -------------------------------------------------------------


def test_held_slot_cannot_be_moved_cancelled_or_deleted_from_the_calendar(workshop):
    req = privatisation_submit(workshop)
    answer(req)
    slot = req.offers.get().slot
    for action in (
        lambda: slot_update(
            artisan=workshop.artisan,
            slot_id=slot.pk,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            capacity=slot.capacity + 1,
        ),
        lambda: slot_cancel(artisan=workshop.artisan, slot_id=slot.pk, message="Sorry"),
        lambda: slot_delete(artisan=workshop.artisan, slot_id=slot.pk),
    ):
        with pytest.raises(BookingError) as error:
            action()
        assert "private session request" in error.value.message
        assert error.value.link == reverse("privatisation:manage", args=[req.pk])
    slot.refresh_from_db()
    req.refresh_from_db()
    assert slot.status == SlotStatus.HELD and req.status == RequestStatus.ANSWERED
    assert Offer.objects.filter(slot=slot).exists()


def test_offered_slot_that_was_not_chosen_is_never_deleted(workshop):
    req = privatisation_submit(workshop)
    answer(req, n=2)
    chosen, other = list(req.offers.select_related("slot").order_by("slot__starts_at"))
    request_paid(
        OrderFactory(
            slot=chosen.slot,
            seats=req.participants,
            source="privatisation",
            status=OrderStatus.CONFIRMED,
        )
    )
    claims = slot_hooks.claims(Slot.objects.get(pk=other.slot_id))
    assert set(claims) == {slot_hooks.DELETE}
    with pytest.raises(BookingError):
        slot_delete(artisan=workshop.artisan, slot_id=other.slot_id)
    assert Slot.objects.filter(pk=other.slot_id).exists()


def test_back_office_hides_the_actions_a_held_slot_refuses_and_points_to_the_request(
    client, workshop
):
    req = privatisation_submit(workshop)
    answer(req)
    slot = req.offers.get().slot
    client.force_login(workshop.artisan.user)
    page = client.get(reverse("backoffice:slot_participants", args=[slot.pk])).content.decode()
    manage = reverse("privatisation:manage", args=[req.pk])
    assert manage in page
    for name in ("backoffice:slot_edit", "backoffice:slot_delete", "backoffice:slot_cancel"):
        url = reverse(name, args=[slot.pk])
        assert f'href="{url}"' not in page
        for response in (client.get(url), client.post(url, {"message": "Sorry", "capacity": 3})):
            assert response.status_code == 302  # refused with a message, never a 500
            assert response["Location"] == reverse("backoffice:slot_participants", args=[slot.pk])
    slot.refresh_from_db()
    assert slot.status == SlotStatus.HELD and Slot.objects.filter(pk=slot.pk).exists()


def test_a_claim_registered_by_another_app_refuses_the_action(workshop):
    public = SlotFactory(workshop=workshop)
    slot_hooks.register(
        "test", claims=lambda s: {slot_hooks.UPDATE: SlotClaim("Held by the test app.", "/t/")}
    )
    with pytest.raises(BookingError) as error:
        slot_update(
            artisan=workshop.artisan,
            slot_id=public.pk,
            starts_at=public.starts_at,
            ends_at=public.ends_at,
            capacity=public.capacity,
        )
    assert (error.value.message, error.value.link) == ("Held by the test app.", "/t/")


def test_registrations_made_by_a_test_do_not_leak():
    assert "test" not in slot_hooks.registered()
