from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from bookings.states import OrderStatus, SlotKind, SlotStatus
from notifications.models import Notification
from privatisation.models import Offer, PrivatisationRequest
from privatisation.services import private_price
from privatisation.services.customer import (
    privatisation_message_post,
    privatisation_request_withdraw,
    request_paid,
    request_payment_closed,
)
from privatisation.services.deadlines import (
    privatisation_expire_overdue,
    privatisation_request_expire,
    privatisation_send_reminders,
)
from privatisation.services.errors import (
    DeadlinePassed,
    PrivatisationError,
    RequestNotFound,
    SlotUnavailable,
    WrongState,
)
from privatisation.services.respond import (
    QuoteInput,
    privatisation_request_refuse,
    privatisation_request_respond,
)
from privatisation.services.suggestions import date_suggestion_accept, date_suggestion_submit
from privatisation.states import MessageAuthor, RequestStatus, SuggestionStatus
from tests.factories import (
    ArtisanFactory,
    OrderFactory,
    SlotFactory,
    WorkshopFactory,
    privatisation_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop():
    return WorkshopFactory(price_cents=5000, private_min_capacity=3, private_max_capacity=10)


def keys():
    return set(Notification.objects.values_list("idempotency_key", flat=True))


def answer(req, *, accept=None, offers=(), message="Happy to host you.", now=None, quote=None):
    return privatisation_request_respond(
        artisan=req.workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[p.pk for p in req.proposed_slots.all()][:1]
        if accept is None
        else accept,
        offer_starts=list(offers),
        message=message,
        quote=quote,
        now=now,
    )


# --- price -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("participants", "total", "minimum"), [(2, 15000, True), (3, 15000, False), (4, 20000, False)]
)
def test_private_price_is_max_of_participants_and_minimum_times_seat_price(
    workshop, participants, total, minimum
):
    price = private_price(workshop, participants)
    assert price.total_cents == total
    assert price.minimum_applies is minimum


def test_submit_snapshots_the_price_and_tells_both_sides(workshop):
    req = privatisation_submit(workshop, participants=2)
    workshop.price_cents = 9900
    workshop.save()
    req.refresh_from_db()
    assert (req.price_cents, req.billed_participants, req.status) == (
        15000,
        3,
        RequestStatus.PENDING,
    )
    assert req.proposed_slots.count() == 3
    assert req.messages.get().author == MessageAuthor.CUSTOMER
    assert {
        f"privreq:{req.pk}:submitted:customer:email",
        f"privreq:{req.pk}:new_request:artisan:email",
        f"privreq:{req.pk}:new_request:artisan:sms",
    } <= keys()
    sms = Notification.objects.get(idempotency_key=f"privreq:{req.pk}:new_request:artisan:sms")
    assert "/backoffice/privatisation/link/" in sms.body_text


def test_submit_sets_the_answer_deadline_72_hours_later(workshop):
    now = timezone.now()
    req = privatisation_submit(workshop, now=now)
    assert req.respond_by == now + timedelta(hours=72)


def test_company_request_gets_the_longer_answer_window(workshop, settings):
    now = timezone.now()
    req = privatisation_submit(workshop, kind="company", company_name="ACME", now=now)
    assert req.respond_by == now + timedelta(hours=settings.PRIVATISATION_COMPANY_RESPOND_HOURS)


def test_submit_refused_when_privatisation_disabled(workshop):
    workshop.privatisation_enabled = False
    workshop.save()
    with pytest.raises(PrivatisationError):
        privatisation_submit(workshop)
    assert not PrivatisationRequest.objects.exists()


def test_submit_refused_above_private_maximum(workshop):
    with pytest.raises(PrivatisationError):
        privatisation_submit(workshop, participants=11)


def test_submit_refused_for_a_slot_inside_the_answer_window(workshop):
    soon = timezone.now() + timedelta(hours=24)
    with pytest.raises(PrivatisationError, match="too soon"):
        privatisation_submit(workshop, starts=[soon])


def test_submit_refused_for_overlapping_proposals(workshop):
    start = timezone.now() + timedelta(days=10)
    with pytest.raises(PrivatisationError, match="overlap"):
        privatisation_submit(workshop, starts=[start, start + timedelta(minutes=60)])


def test_one_request_in_progress_per_customer_and_workshop(workshop):
    privatisation_submit(workshop, email="ada@example.com")
    with pytest.raises(PrivatisationError, match="already have a request"):
        privatisation_submit(workshop, email="ada@example.com")


def test_customer_may_apply_again_once_the_request_expired(workshop):
    first = privatisation_submit(workshop, email="ada@example.com")
    later = timezone.now() + timedelta(hours=73)
    with time_machine.travel(later, tick=False):
        second = privatisation_submit(workshop, email="ada@example.com", now=later)
    first.refresh_from_db()
    assert first.status == RequestStatus.EXPIRED
    assert second.status == RequestStatus.PENDING


# --- respond -----------------------------------------------------------------------------------


def test_accept_and_offer_hold_private_slots_for_the_customer(workshop):
    req = privatisation_submit(workshop, participants=4)
    extra = req.proposed_slots.last().starts_at + timedelta(days=3)
    answer(req, offers=[extra])
    req.refresh_from_db()
    assert req.status == RequestStatus.ANSWERED
    offers = list(req.offers.select_related("slot"))
    assert len(offers) == 2
    assert {(o.slot.kind, o.slot.status, o.slot.capacity) for o in offers} == {
        (SlotKind.PRIVATE, SlotStatus.HELD, 4)
    }
    assert f"privreq:{req.pk}:answered:customer:sms" in keys()
    assert req.messages.filter(author=MessageAuthor.ARTISAN).exists()


def test_pay_deadline_is_72_hours_after_the_answer(workshop):
    req = privatisation_submit(workshop)
    now = timezone.now() + timedelta(hours=5)
    answer(req, now=now)
    req.refresh_from_db()
    assert req.pay_by == now + timedelta(hours=72)
    assert req.reminder_sent_at is None


def test_accepting_removes_an_overlapping_empty_slot(workshop):
    req = privatisation_submit(workshop)
    proposed = req.proposed_slots.first()
    empty = SlotFactory(workshop=workshop, starts_at=proposed.starts_at + timedelta(minutes=30))
    answer(req, accept=[proposed.pk])
    empty.refresh_from_db()
    assert empty.status == SlotStatus.CANCELLED


def test_empty_slot_of_another_workshop_of_the_artisan_is_also_removed(workshop):
    req = privatisation_submit(workshop)
    other = WorkshopFactory(artisan=workshop.artisan)
    proposed = req.proposed_slots.first()
    empty = SlotFactory(workshop=other, starts_at=proposed.starts_at)
    answer(req, accept=[proposed.pk])
    empty.refresh_from_db()
    assert empty.status == SlotStatus.CANCELLED


def test_slot_with_participants_cannot_be_offered(workshop):
    req = privatisation_submit(workshop)
    proposed = req.proposed_slots.first()
    busy = SlotFactory(workshop=workshop, starts_at=proposed.starts_at, seats_taken=2)
    with pytest.raises(SlotUnavailable, match="participant"):
        answer(req, accept=[proposed.pk])
    busy.refresh_from_db()
    assert busy.status == SlotStatus.OPEN
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING and not Offer.objects.exists()


def test_slot_that_became_busy_in_the_meantime_is_refused(workshop):
    req = privatisation_submit(workshop)
    proposed = req.proposed_slots.first()
    slot = SlotFactory(
        workshop=workshop, starts_at=proposed.starts_at
    )  # empty when the screen opened
    OrderFactory(slot=slot, seats=1)
    slot.seats_taken = 1
    slot.save()
    with pytest.raises(SlotUnavailable):
        answer(req, accept=[proposed.pk])


def test_two_customers_cannot_be_offered_the_same_time(workshop):
    start = (timezone.now() + timedelta(days=12)).replace(minute=0, second=0, microsecond=0)
    first = privatisation_submit(workshop, starts=[start])
    second = privatisation_submit(workshop, starts=[start])
    answer(first)
    with pytest.raises(SlotUnavailable, match="another privatisation"):
        answer(second)
    assert Offer.objects.filter(request=second).count() == 0


def test_refuse_closes_the_request_with_a_message(workshop):
    req = privatisation_submit(workshop)
    privatisation_request_refuse(
        artisan=workshop.artisan, request_id=req.pk, message="Closed that week, sorry."
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.REFUSED
    assert f"privreq:{req.pk}:refused:customer:email" in keys()


def test_refuse_without_a_message_is_refused(workshop):
    req = privatisation_submit(workshop)
    with pytest.raises(PrivatisationError, match="message"):
        privatisation_request_refuse(artisan=workshop.artisan, request_id=req.pk, message="  ")


def test_answer_is_idempotent(workshop):
    req = privatisation_submit(workshop)
    answer(req)
    answer(req)
    assert Offer.objects.filter(request=req).count() == 1


def test_refuse_after_answer_is_wrong_state(workshop):
    req = privatisation_submit(workshop)
    answer(req)
    with pytest.raises(WrongState):
        privatisation_request_refuse(artisan=workshop.artisan, request_id=req.pk, message="No")


def test_answer_after_the_deadline_is_refused_even_before_the_job_ran(workshop):
    req = privatisation_submit(workshop)
    with pytest.raises(DeadlinePassed):
        answer(req, now=req.respond_by)
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING  # the job makes it official


def test_answer_one_second_before_the_deadline_is_accepted(workshop):
    req = privatisation_submit(workshop)
    answer(req, now=req.respond_by - timedelta(seconds=1))
    req.refresh_from_db()
    assert req.status == RequestStatus.ANSWERED


def test_another_artisan_cannot_answer(workshop):
    req = privatisation_submit(workshop)
    stranger = ArtisanFactory()
    with pytest.raises(RequestNotFound):
        privatisation_request_respond(
            artisan=stranger,
            request_id=req.pk,
            accept_proposed_ids=[],
            offer_starts=[],
            message="x",
        )
    with pytest.raises(RequestNotFound):
        privatisation_request_refuse(artisan=stranger, request_id=req.pk, message="x")


def test_accepting_a_proposed_slot_of_another_request_is_refused(workshop):
    req = privatisation_submit(workshop)
    other = privatisation_submit(workshop)
    with pytest.raises(PrivatisationError, match="not part"):
        answer(req, accept=[other.proposed_slots.first().pk])


def test_company_answer_needs_a_quote_and_uses_its_validity(workshop):
    req = privatisation_submit(workshop, kind="company", company_name="ACME")
    with pytest.raises(PrivatisationError, match="quote"):
        answer(req)
    until = timezone.now() + timedelta(days=14)
    answer(req, quote=QuoteInput(amount_cents=80000, valid_until=until, note="Lunch included"))
    req.refresh_from_db()
    assert req.pay_by == until
    assert req.amount_due_cents == 80000


# --- customer ----------------------------------------------------------------------------------


def test_customer_withdraws_before_the_answer(workshop):
    req = privatisation_submit(workshop)
    privatisation_request_withdraw(token=req.token)
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN
    assert f"privreq:{req.pk}:withdrawn:artisan:email" in keys()


def test_customer_cannot_withdraw_after_the_answer(workshop):
    req = privatisation_submit(workshop)
    answer(req)
    with pytest.raises(WrongState):
        privatisation_request_withdraw(token=req.token)


def test_paid_order_confirms_the_request_and_removes_the_other_slots(workshop):
    req = privatisation_submit(workshop)
    answer(req, accept=[p.pk for p in req.proposed_slots.all()][:2])
    chosen, other = list(req.offers.select_related("slot").order_by("slot__starts_at"))
    order = OrderFactory(
        slot=chosen.slot,
        seats=req.participants,
        source="privatisation",
        status=OrderStatus.CONFIRMED,
    )
    request_paid(order)
    req.refresh_from_db()
    chosen.slot.refresh_from_db()
    other.slot.refresh_from_db()
    assert req.status == RequestStatus.CONFIRMED and req.order == order
    assert (chosen.slot.kind, chosen.slot.status) == (SlotKind.PRIVATE, SlotStatus.OPEN)
    assert other.slot.status == SlotStatus.CANCELLED
    assert {
        f"privreq:{req.pk}:confirmed:customer:email",
        f"privreq:{req.pk}:confirmed:artisan:email",
    } <= keys()
    request_paid(order)  # a replayed webhook changes nothing


def test_closed_payment_lets_the_customer_try_again(workshop):
    req = privatisation_submit(workshop)
    answer(req)
    offer = req.offers.get()
    order = OrderFactory(
        slot=offer.slot,
        seats=req.participants,
        source="privatisation",
        status=OrderStatus.PAYMENT_FAILED,
    )
    PrivatisationRequest.objects.filter(pk=req.pk).update(order=order)
    request_payment_closed(order)
    req.refresh_from_db()
    assert req.order is None and req.status == RequestStatus.ANSWERED


def test_messages_notify_the_other_side_once_each(workshop):
    req = privatisation_submit(workshop)
    m1 = privatisation_message_post(
        request_id=req.pk, author=MessageAuthor.CUSTOMER, body="Can we bring a cake?"
    )
    m2 = privatisation_message_post(
        request_id=req.pk, author=MessageAuthor.ARTISAN, body="Of course!"
    )
    assert {
        f"privreq:{req.pk}:message_{m1.pk}:artisan:email",
        f"privreq:{req.pk}:message_{m2.pk}:customer:email",
    } <= keys()


def test_no_message_on_an_expired_request(workshop):
    req = privatisation_submit(workshop)
    with time_machine.travel(req.respond_by + timedelta(minutes=1), tick=False):
        with pytest.raises(PrivatisationError, match="closed"):
            privatisation_message_post(
                request_id=req.pk, author=MessageAuthor.CUSTOMER, body="Hello?"
            )


# --- deadlines ---------------------------------------------------------------------------------


def test_unanswered_request_expires_after_72_hours_and_customer_is_told(workshop):
    req = privatisation_submit(workshop)
    assert privatisation_expire_overdue(now=req.respond_by - timedelta(seconds=1)) == 0
    assert privatisation_expire_overdue(now=req.respond_by) == 1
    req.refresh_from_db()
    assert req.status == RequestStatus.EXPIRED
    assert {
        f"privreq:{req.pk}:expired_unanswered:customer:email",
        f"privreq:{req.pk}:expired_unanswered:customer:sms",
    } <= keys()


def test_unpaid_request_expires_cancels_offered_slots_and_tells_both_sides(workshop):
    req = privatisation_submit(workshop)
    answer(req, accept=[p.pk for p in req.proposed_slots.all()])
    req.refresh_from_db()
    assert privatisation_expire_overdue(now=req.pay_by) == 1
    assert set(Offer.objects.filter(request=req).values_list("slot__status", flat=True)) == {
        SlotStatus.CANCELLED
    }
    expected = {
        f"privreq:{req.pk}:expired_unpaid:{who}:{ch}"
        for who in ("customer", "artisan")
        for ch in ("email", "sms")
    }
    assert expected <= keys()


def test_expiry_is_safe_to_run_twice(workshop):
    req = privatisation_submit(workshop)
    privatisation_expire_overdue(now=req.respond_by)
    count = Notification.objects.count()
    assert privatisation_expire_overdue(now=req.respond_by + timedelta(hours=1)) == 0
    assert privatisation_request_expire(request_id=req.pk, now=req.respond_by) is False
    assert Notification.objects.count() == count


def test_expiry_works_in_batches(workshop):
    reqs = [privatisation_submit(workshop) for _ in range(5)]
    assert privatisation_expire_overdue(now=reqs[-1].respond_by, batch_size=2) == 5


def test_payment_in_progress_is_not_expired_during_its_checkout_hold(workshop):
    req = privatisation_submit(workshop)
    answer(req)
    req.refresh_from_db()
    order = OrderFactory(
        slot=req.offers.get().slot,
        seats=req.participants,
        source="privatisation",
        status=OrderStatus.PENDING_PAYMENT,
        hold_expires_at=req.pay_by + timedelta(minutes=10),
    )
    PrivatisationRequest.objects.filter(pk=req.pk).update(order=order)
    assert privatisation_expire_overdue(now=req.pay_by + timedelta(minutes=1)) == 0
    assert privatisation_expire_overdue(now=req.pay_by + timedelta(minutes=11)) == 1


def test_72_hour_deadline_is_72_real_hours_across_a_dst_change():
    # Paris leaves summer time on Sunday 25 October 2026 (03:00 → 02:00).
    workshop = WorkshopFactory(timezone="Europe/Paris")
    submitted = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)  # Saturday, 12:00 in Paris
    start = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    with time_machine.travel(submitted, tick=False):
        req = privatisation_submit(workshop, starts=[start])
    assert req.respond_by - submitted == timedelta(hours=72)
    # Wall clock in Paris: 12:00 → 11:00 three days later, because a night had 25 hours.
    assert req.respond_by.astimezone(workshop.tzinfo).hour == 11
    with time_machine.travel(req.respond_by - timedelta(seconds=1), tick=False):
        assert not req.is_overdue()
        assert privatisation_expire_overdue() == 0
    with time_machine.travel(req.respond_by, tick=False):
        assert req.is_overdue()
        assert privatisation_expire_overdue() == 1


def test_overdue_request_reads_as_expired_before_the_job(workshop):
    req = privatisation_submit(workshop)
    with time_machine.travel(req.respond_by + timedelta(seconds=1), tick=False):
        assert req.display_status() == RequestStatus.EXPIRED
        with pytest.raises(DeadlinePassed):
            privatisation_request_withdraw(token=req.token)


def test_reminder_goes_once_to_the_artisan_24_hours_before(workshop):
    req = privatisation_submit(workshop)
    assert privatisation_send_reminders(now=req.respond_by - timedelta(hours=25)) == 0
    assert privatisation_send_reminders(now=req.respond_by - timedelta(hours=24)) == 1
    assert privatisation_send_reminders(now=req.respond_by - timedelta(hours=23)) == 0
    assert {
        f"privreq:{req.pk}:reminder_answer:artisan:email",
        f"privreq:{req.pk}:reminder_answer:artisan:sms",
    } <= keys()


def test_reminder_goes_to_the_customer_before_the_pay_deadline(workshop):
    req = privatisation_submit(workshop)
    answer(req)
    req.refresh_from_db()
    assert privatisation_send_reminders(now=req.pay_by - timedelta(hours=2)) == 1
    assert f"privreq:{req.pk}:reminder_pay:customer:sms" in keys()


# --- suggestions -------------------------------------------------------------------------------


def test_suggested_date_becomes_a_public_slot_in_one_click_and_the_suggester_is_told(workshop):
    start = (timezone.now() + timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    s = date_suggestion_submit(
        workshop_id=workshop.pk,
        starts_at=start,
        name="Ada",
        email="ada@example.com",
        message="",
        language="en",
    )
    s = date_suggestion_accept(artisan=workshop.artisan, suggestion_id=s.pk)
    assert s.status == SuggestionStatus.ACCEPTED
    assert (s.slot.kind, s.slot.status, s.slot.starts_at) == (
        SlotKind.PUBLIC,
        SlotStatus.OPEN,
        start,
    )
    assert f"suggestion:{s.pk}:accepted:customer:email" in keys()
    with pytest.raises(RequestNotFound):
        date_suggestion_accept(artisan=ArtisanFactory(), suggestion_id=s.pk)


def test_expiry_notifications_are_sent_in_chunks_after_commit(
    workshop, celery_eager, django_capture_on_commit_callbacks, mailoutbox
):
    req = privatisation_submit(workshop)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        privatisation_expire_overdue(now=req.respond_by)
    statuses = set(Notification.objects.values_list("status", flat=True))
    assert statuses == {"sent"}
    assert any("has expired" in m.subject for m in mailoutbox)


def test_artisan_is_told_in_their_own_language(workshop):
    workshop.artisan.language = "fr"
    workshop.artisan.save()
    req = privatisation_submit(workshop)
    email = Notification.objects.get(idempotency_key=f"privreq:{req.pk}:new_request:artisan:email")
    assert email.subject.startswith("Nouvelle demande de privatisation")
    assert "Créneaux proposés" in email.body_text and req.message in email.body_text


def test_a_second_paid_slot_is_refunded_not_confirmed(workshop, django_capture_on_commit_callbacks):
    req = privatisation_submit(workshop)
    answer(req, accept=[p.pk for p in req.proposed_slots.all()][:2])
    first, second = list(req.offers.select_related("slot").order_by("slot__starts_at"))
    paid = OrderFactory(
        slot=first.slot,
        seats=req.participants,
        source="privatisation",
        status=OrderStatus.CONFIRMED,
    )
    request_paid(paid)
    late = OrderFactory(
        slot=second.slot,
        seats=req.participants,
        source="privatisation",
        status=OrderStatus.CONFIRMED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        request_paid(late)
    late.refresh_from_db()
    req.refresh_from_db()
    assert req.order == paid
    assert late.status == OrderStatus.CANCELLED


def test_artisan_sms_carries_the_summary_the_message_and_the_signed_link(workshop):
    req = privatisation_submit(workshop, participants=5, message="Team day for our bakery crew")
    sms = Notification.objects.get(idempotency_key=f"privreq:{req.pk}:new_request:artisan:sms")
    assert "for 5 people" in sms.body_text and "Team day for our bakery crew" in sms.body_text
    assert "/backoffice/privatisation/link/" in sms.body_text
