"""Issue 15: once the customer has chosen (or the pay deadline passed), the other slots leave the calendar."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from bookings.models import Slot, SlotStatusChange
from bookings.selectors.backoffice import calendar_slots
from bookings.services.slots import slot_cancel
from bookings.states import OrderStatus, SlotStatus
from privatisation.services.customer import request_paid
from privatisation.services.deadlines import privatisation_expire_overdue
from privatisation.services.respond import privatisation_request_respond
from tests.factories import OrderFactory, SlotFactory, WorkshopFactory, privatisation_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop():
    return WorkshopFactory(price_cents=5000, private_min_capacity=3, private_max_capacity=10)


def _answer_all(req):
    privatisation_request_respond(
        artisan=req.workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[p.pk for p in req.proposed_slots.all()],
        offer_starts=[],
        message="Any of these.",
    )
    return [offer.slot for offer in req.offers.select_related("slot").order_by("slot__starts_at")]


def _on_calendar(artisan) -> set[int]:
    today = timezone.localdate()
    return {
        s.pk for s in calendar_slots(artisan=artisan, start=today, end=today + timedelta(days=60))
    }


def _calendar_page(client, artisan, day: date) -> str:
    client.force_login(artisan.user)
    return client.get(reverse("backoffice:calendar"), {"month": f"{day:%Y-%m}"}).content.decode()


def test_after_payment_the_other_offers_and_the_removed_empty_slot_leave_the_calendar(
    client, workshop
):
    artisan = workshop.artisan
    req = privatisation_submit(workshop)
    first = req.proposed_slots.order_by("starts_at").first()
    empty = SlotFactory(
        workshop=workshop, starts_at=first.starts_at, ends_at=first.ends_at, capacity=8
    )
    kept = SlotFactory(workshop=workshop, starts_at=first.starts_at + timedelta(days=5), capacity=8)
    chosen, *others = _answer_all(req)
    assert Slot.objects.get(pk=empty.pk).status == SlotStatus.CANCELLED
    assert _on_calendar(artisan) == {chosen.pk, kept.pk, *(s.pk for s in others)}

    order = OrderFactory(
        slot=chosen, seats=req.participants, source="privatisation", status=OrderStatus.CONFIRMED
    )
    request_paid(order)

    assert {s.status for s in Slot.objects.filter(pk__in=[s.pk for s in others])} == {
        SlotStatus.CANCELLED
    }
    assert _on_calendar(artisan) == {chosen.pk, kept.pk}
    page = _calendar_page(client, artisan, chosen.starts_at.date())
    assert page.count("cal-slot-private") == 1 and "<del>" not in page
    # Their history is kept: the slot rows and their moves stay.
    assert SlotStatusChange.objects.filter(
        slot__in=others, to_status=SlotStatus.CANCELLED
    ).count() == len(others)


def test_when_the_pay_deadline_passes_every_offer_leaves_the_calendar(workshop):
    req = privatisation_submit(workshop)
    offered = _answer_all(req)
    assert _on_calendar(workshop.artisan) == {s.pk for s in offered}
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        assert privatisation_expire_overdue() == 1
    assert {s.status for s in Slot.objects.filter(pk__in=[s.pk for s in offered])} == {
        SlotStatus.CANCELLED
    }
    assert _on_calendar(workshop.artisan) == set()


def test_a_public_slot_cancelled_with_its_customers_stays_struck_through(client, workshop):
    booked = SlotFactory(
        workshop=workshop, starts_at=timezone.now() + timedelta(days=3), capacity=8
    )
    OrderFactory(slot=booked, seats=2, status=OrderStatus.CONFIRMED)
    nobody = SlotFactory(
        workshop=workshop, starts_at=booked.starts_at + timedelta(hours=3), capacity=8
    )
    for slot in (booked, nobody):
        slot_cancel(artisan=workshop.artisan, slot_id=slot.pk, message="Kiln broken, sorry.")
    assert _on_calendar(workshop.artisan) == {booked.pk}
    page = _calendar_page(client, workshop.artisan, booked.starts_at.date())
    assert page.count("cal-slot-cancelled") == 1 and "<del>" in page
