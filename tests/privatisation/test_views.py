from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from bookings.models import DevPayment, Order
from bookings.states import OrderStatus, SlotStatus
from privatisation.models import DateSuggestion, PrivatisationRequest
from privatisation.services.notify import manage_signature
from privatisation.services.respond import privatisation_request_respond
from privatisation.states import RequestStatus
from tests.factories import (
    PASSWORD,
    ArtisanFactory,
    SlotFactory,
    WorkshopFactory,
    privatisation_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def workshop():
    return WorkshopFactory(
        price_cents=5000, private_min_capacity=3, private_max_capacity=10, slug="pottery"
    )


def day(offset_days=10):
    return (
        (timezone.now() + timedelta(days=offset_days))
        .astimezone(timezone.get_fixed_timezone(0))
        .date()
    )


def form_data(slots=None, **overrides):
    slots = [(day(10), "10:00"), (day(11), "14:00"), (day(12), "09:30")] if slots is None else slots
    data = {
        "kind": "individual",
        "contact_name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": "06 12 34 56 78",
        "participants": "4",
        "message": "A birthday party!",
        "customer_timezone": "America/New_York",
        "slots-TOTAL_FORMS": str(len(slots)),
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "10",
    }
    for i, (d, t) in enumerate(slots):
        data[f"slots-{i}-date"] = str(d)
        data[f"slots-{i}-time"] = t
    data.update(overrides)
    return data


def post_request(client, data):
    return client.post(reverse("privatisation:request_form", args=["pottery"]), data)


def test_request_form_renders_with_live_price(client, workshop):
    response = client.get(reverse("privatisation:request_form", args=["pottery"]))
    assert response.status_code == 200
    assert b"hx-get" in response.content and b"data-slot-rows" in response.content


@pytest.mark.parametrize(
    ("participants", "expected", "why"),
    [("2", "150.00", True), ("3", "150.00", False), ("4", "200.00", False)],
)
def test_live_price_partial_says_when_the_minimum_applies(
    client, workshop, participants, expected, why
):
    response = client.get(
        reverse("privatisation:price", args=["pottery"]), {"participants": participants}
    )
    text = response.content.decode()
    assert expected in text
    assert ("billed for at least 3" in text) is why


def test_valid_request_is_saved_and_redirects_to_the_customer_page(client, workshop):
    response = post_request(client, form_data())
    req = PrivatisationRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "privatisation:customer_request", args=[req.token]
    )
    assert req.customer_timezone == "America/New_York" and req.phone == "+33612345678"
    page = client.get(response["Location"]).content.decode()
    assert "Your request is sent" in page and "America/New_York" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slots": []}, "Propose at least one slot"),
        ({"slots": [(day(10 + i), "10:00") for i in range(11)]}, "at most 10"),
        ({"slots": [(day(-2), "10:00")]}, "in the past"),
        ({"slots": [(day(1), "10:00")]}, "too soon"),
        ({"slots": [(day(10), "10:00"), (day(10), "10:00")]}, "identical or overlap"),
        ({"slots": [(day(10), "10:00"), (day(10), "11:00")]}, "identical or overlap"),
        ({"participants": "11"}, "at most 10 participants"),
        ({"participants": "0"}, "greater than or equal to 1"),
        ({"contact_name": ""}, "This field is required"),
        ({"email": ""}, "This field is required"),
        ({"phone": "12"}, "valid mobile phone"),
        ({"message": ""}, "This field is required"),
        ({"kind": "company", "company_name": ""}, "company name"),
        ({"slots": [(day(10), "")]}, "This field is required"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(
    client, workshop, overrides, message
):
    slots = overrides.pop("slots", None)
    data = form_data(slots, **overrides)
    response = post_request(client, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PrivatisationRequest.objects.exists()
    if data.get("contact_name"):
        assert 'value="Grace Hopper"' in response.content.decode()  # what was typed is kept


def test_privatisation_disabled_page_is_404(client, workshop):
    workshop.privatisation_enabled = False
    workshop.save()
    assert client.get(reverse("privatisation:request_form", args=["pottery"])).status_code == 404
    assert post_request(client, form_data()).status_code == 404


def test_request_form_is_rate_limited(client, workshop, settings):
    settings.RATE_LIMIT_PUBLIC_FORMS = "2/h"
    for _ in range(2):
        post_request(client, form_data(participants="99"))
    assert post_request(client, form_data()).status_code == 429


def test_wrong_token_is_404(client):
    assert client.get(reverse("privatisation:customer_request", args=["nope"])).status_code == 404


def test_customer_page_shows_french(client, workshop):
    req = privatisation_submit(workshop)
    with translation.override("fr"):
        url = reverse("privatisation:customer_request", args=[req.token])
    client.cookies["django_language"] = "fr"
    text = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Votre demande de privatisation" in text


def test_customer_withdraws_from_the_page(client, workshop):
    req = privatisation_submit(workshop)
    client.post(reverse("privatisation:customer_withdraw", args=[req.token]))
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN


# --- back-office -------------------------------------------------------------------------------


@pytest.fixture
def artisan_client(client, workshop):
    client.login(
        request=RequestFactory().post("/"),
        username=workshop.artisan.user.username,
        password=PASSWORD,
    )
    return client


def test_list_shows_badge_and_time_left(artisan_client, workshop, django_assert_max_num_queries):
    for _ in range(3):
        privatisation_submit(workshop)
    with django_assert_max_num_queries(12):
        text = artisan_client.get(reverse("privatisation:list")).content.decode()
    assert '<span class="badge"' in text and ">3</span>" in text
    assert "2 days 23 h" in text


def test_list_query_count_does_not_grow_with_rows(
    artisan_client, workshop, django_assert_num_queries
):
    privatisation_submit(workshop)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        artisan_client.get(reverse("privatisation:list"))
    for _ in range(10):
        privatisation_submit(workshop)
    with django_assert_num_queries(len(few)):
        artisan_client.get(reverse("privatisation:list"))


def test_another_artisans_request_is_404(client, workshop):
    req = privatisation_submit(workshop)
    stranger = ArtisanFactory()
    client.login(
        request=RequestFactory().post("/"), username=stranger.user.username, password=PASSWORD
    )
    assert client.get(reverse("privatisation:manage", args=[req.pk])).status_code == 404


def test_manage_marks_overlaps_against_the_calendar(artisan_client, workshop):
    req = privatisation_submit(workshop)
    first, second, _third = req.proposed_slots.all()
    SlotFactory(workshop=workshop, starts_at=first.starts_at)
    SlotFactory(workshop=workshop, starts_at=second.starts_at, seats_taken=2)
    text = artisan_client.get(reverse("privatisation:manage", args=[req.pk])).content.decode()
    assert "will be removed from the calendar" in text
    assert "2 participant(s) already booked" in text
    assert text.count("disabled") >= 1


def test_manage_asks_before_removing_empty_slots(artisan_client, workshop):
    req = privatisation_submit(workshop)
    first = req.proposed_slots.first()
    empty = SlotFactory(workshop=workshop, starts_at=first.starts_at)
    url = reverse("privatisation:manage", args=[req.pk])
    data = {
        "action": "answer",
        "decision": "answer",
        "accept": [first.pk],
        "message": "See you!",
        "offers-TOTAL_FORMS": "0",
        "offers-INITIAL_FORMS": "0",
    }
    response = artisan_client.post(url, data)
    assert "Saving removes these empty slots" in response.content.decode()
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    response = artisan_client.post(url, {**data, "confirm_removal": "on"})
    assert response.status_code == 302
    req.refresh_from_db()
    empty.refresh_from_db()
    assert req.status == RequestStatus.ANSWERED and empty.status == SlotStatus.CANCELLED


def test_manage_refuse_needs_a_message(artisan_client, workshop):
    req = privatisation_submit(workshop)
    url = reverse("privatisation:manage", args=[req.pk])
    response = artisan_client.post(
        url,
        {
            "action": "answer",
            "decision": "refuse",
            "message": "",
            "offers-TOTAL_FORMS": "0",
            "offers-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    artisan_client.post(
        url,
        {
            "action": "answer",
            "decision": "refuse",
            "message": "Sorry",
            "offers-TOTAL_FORMS": "0",
            "offers-INITIAL_FORMS": "0",
        },
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.REFUSED


def test_signed_link_opens_manage_without_sign_in_for_that_request_only(client, workshop):
    req = privatisation_submit(workshop)
    other = privatisation_submit(workshop)
    url = reverse("privatisation:manage_signed", args=[manage_signature(req.pk)])
    text = client.get(url).content.decode()
    assert "Manage the request" in text and req.contact_name in text
    assert (
        client.get(reverse("privatisation:manage", args=[other.pk])).status_code == 302
    )  # sign-in
    assert client.get(reverse("privatisation:list")).status_code == 302
    tampered = manage_signature(req.pk)[:-2] + "xx"
    assert client.get(reverse("privatisation:manage_signed", args=[tampered])).status_code == 404


def test_signed_link_stops_at_the_deadline(client, workshop):
    req = privatisation_submit(workshop)
    url = reverse("privatisation:manage_signed", args=[manage_signature(req.pk)])
    with time_machine.travel(req.respond_by + timedelta(seconds=1), tick=False):
        assert client.get(url).status_code == 410


def test_customer_chooses_and_pays_on_the_dev_gateway(client, workshop):
    req = privatisation_submit(workshop)
    proposed = [p.pk for p in req.proposed_slots.all()][:2]
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=proposed,
        offer_starts=[],
        message="Yes",
    )
    chosen, other = list(req.offers.select_related("slot").order_by("slot__starts_at"))
    response = client.post(
        reverse("privatisation:customer_choose", args=[req.token]), {"offer": chosen.pk}
    )
    assert response.status_code == 302
    payment = DevPayment.objects.get()
    assert payment.amount_cents == 20000
    response = client.post(response["Location"], {"action": "pay"})
    client.get(response["Location"])  # the return page reconciles
    req.refresh_from_db()
    chosen.slot.refresh_from_db()
    other.slot.refresh_from_db()
    assert req.status == RequestStatus.CONFIRMED
    assert req.order.status == OrderStatus.CONFIRMED and req.order.tickets.count() == 4
    assert chosen.slot.status == SlotStatus.OPEN and chosen.slot.seats_taken == 4
    assert other.slot.status == SlotStatus.CANCELLED
    page = client.get(reverse("privatisation:customer_request", args=[req.token])).content.decode()
    assert "is confirmed on" in page


def test_minimum_price_is_charged_when_fewer_participants(client, workshop):
    req = privatisation_submit(workshop, participants=2)
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[],
        message="Yes",
    )
    client.post(
        reverse("privatisation:customer_choose", args=[req.token]), {"offer": req.offers.get().pk}
    )
    assert Order.objects.get().total_cents == 15000


def test_choosing_after_the_pay_deadline_is_refused(client, workshop):
    req = privatisation_submit(workshop)
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[],
        message="Yes",
    )
    req.refresh_from_db()
    with time_machine.travel(req.pay_by + timedelta(seconds=1), tick=False):
        client.post(
            reverse("privatisation:customer_choose", args=[req.token]),
            {"offer": req.offers.get().pk},
        )
    assert not Order.objects.exists()


def test_suggest_a_date_and_artisan_adds_it(client, workshop):
    url = reverse("privatisation:suggest", args=["pottery"])
    response = client.post(
        url,
        {"date": str(day(20)), "time": "18:00", "contact_name": "Ada", "email": "ada@example.com"},
    )
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    s = DateSuggestion.objects.get()
    client.login(
        request=RequestFactory().post("/"),
        username=workshop.artisan.user.username,
        password=PASSWORD,
    )
    assert "Suggested public dates" in client.get(reverse("privatisation:list")).content.decode()
    client.post(reverse("privatisation:suggestion_decide", args=[s.pk, "accept"]))
    s.refresh_from_db()
    assert s.slot is not None and s.slot.status == SlotStatus.OPEN


def test_company_request_is_answered_with_a_printable_quote(artisan_client, client, workshop):
    req = privatisation_submit(workshop, kind="company", company_name="ACME")
    url = reverse("privatisation:manage", args=[req.pk])
    base = {
        "action": "answer",
        "decision": "answer",
        "accept": [req.proposed_slots.first().pk],
        "message": "Quote attached",
        "offers-TOTAL_FORMS": "0",
        "offers-INITIAL_FORMS": "0",
    }
    response = artisan_client.post(
        url, {**base, "quote_amount": "", "quote_valid_until": str(day(14))}
    )
    assert "enter its amount" in response.content.decode()
    response = artisan_client.post(
        url, {**base, "quote_amount": "1 250,50", "quote_valid_until": str(day(14))}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.quote.amount_cents == 125050
    page = client.get(reverse("privatisation:quote", args=[req.token])).content.decode()
    assert "ACME" in page and "1,250.50" in page
    assert (
        "Accept the quote and pay"
        in client.get(reverse("privatisation:customer_request", args=[req.token])).content.decode()
    )


def test_customer_can_choose_again_after_an_abandoned_checkout_lapsed(client, workshop, settings):
    req = privatisation_submit(workshop)
    privatisation_request_respond(
        artisan=workshop.artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[],
        message="Yes",
    )
    offer = req.offers.get()
    url = reverse("privatisation:customer_choose", args=[req.token])
    client.post(url, {"offer": offer.pk})
    client.post(url, {"offer": offer.pk})  # same checkout while the hold runs
    assert Order.objects.count() == 1
    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.CHECKOUT_HOLD_MINUTES + 1)
    ):
        response = client.post(url, {"offer": offer.pk})
    assert response.status_code == 302 and "/pay/dev/" in response["Location"]
    first, second = Order.objects.order_by("pk")
    first.refresh_from_db()
    assert first.status == OrderStatus.EXPIRED and second.status == OrderStatus.PENDING_PAYMENT
    offer.slot.refresh_from_db()
    assert offer.slot.seats_taken == req.participants


def test_manage_page_query_count_does_not_grow_with_messages_and_slots(artisan_client, workshop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from privatisation.services.customer import privatisation_message_post
    from privatisation.states import MessageAuthor

    few = privatisation_submit(workshop, starts=[timezone.now() + timedelta(days=10)])
    many = privatisation_submit(
        workshop, starts=[timezone.now() + timedelta(days=10 + i) for i in range(10)]
    )
    for i in range(10):
        privatisation_message_post(
            request_id=many.pk, author=MessageAuthor.CUSTOMER, body=f"Message {i}"
        )
        SlotFactory(workshop=workshop, starts_at=timezone.now() + timedelta(days=10 + i))
    with CaptureQueriesContext(connection) as small:
        artisan_client.get(reverse("privatisation:manage", args=[few.pk]))
    with CaptureQueriesContext(connection) as large:
        artisan_client.get(reverse("privatisation:manage", args=[many.pk]))
    assert len(large) == len(small)


def test_customer_page_query_count_does_not_grow_with_offers_and_messages(client, workshop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from privatisation.services.customer import privatisation_message_post
    from privatisation.states import MessageAuthor

    def answered(n):
        req = privatisation_submit(
            workshop,
            starts=[timezone.now() + timedelta(days=10 + i, hours=n * 3) for i in range(n)],
        )
        privatisation_request_respond(
            artisan=workshop.artisan,
            request_id=req.pk,
            accept_proposed_ids=[p.pk for p in req.proposed_slots.all()],
            offer_starts=[],
            message="Yes",
        )
        for i in range(n):
            privatisation_message_post(
                request_id=req.pk, author=MessageAuthor.CUSTOMER, body=f"Message {i}"
            )
        return req

    few, many = answered(1), answered(8)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("privatisation:customer_request", args=[few.token]))
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("privatisation:customer_request", args=[many.token]))
    assert len(large) == len(small)
