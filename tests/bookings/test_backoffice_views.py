"""Back-office pages: who may see what, the calendar, slots, participants, activity."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from bookings.models import Slot, Workshop
from bookings.states import OrderStatus, SlotKind, SlotStatus
from tests.factories import (
    ArtisanFactory,
    OrderFactory,
    OrderLineFactory,
    SlotFactory,
    TicketTypeFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 10, 8, tzinfo=UTC)


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def signed_in(client, artisan):
    client.force_login(artisan.user)
    return client


def object_urls(slot):
    return [
        reverse("backoffice:slot_participants", args=[slot.pk]),
        reverse("backoffice:slot_participants", args=[slot.pk]) + "?format=csv",
        reverse("backoffice:slot_edit", args=[slot.pk]),
        reverse("backoffice:slot_cancel", args=[slot.pk]),
        reverse("backoffice:slot_delete", args=[slot.pk]),
        reverse("backoffice:workshop_edit", args=[slot.workshop.pk]),
    ]


PAGE_URLS = [
    "/backoffice/",
    "/backoffice/calendar/",
    "/backoffice/activity/",
    "/backoffice/activity/new/",
    "/backoffice/slots/new/",
]


def test_anonymous_is_sent_to_sign_in(client):
    slot = SlotFactory()
    for url in PAGE_URLS + object_urls(slot):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("backoffice:login")), url


def test_a_user_without_artisan_gets_404_like_another_artisans_object(client):
    client.force_login(UserFactory(is_staff=True))
    for url in PAGE_URLS:
        assert client.get(url).status_code == 404, url


def test_another_artisans_objects_are_404(signed_in):
    slot = SlotFactory()  # another artisan's
    for url in object_urls(slot):
        assert signed_in.get(url).status_code == 404, url
        assert signed_in.post(url, {"message": "x", "capacity": "3"}).status_code == 404, url
    slot.refresh_from_db()
    assert slot.status == SlotStatus.OPEN


def test_owner_sees_every_page(signed_in, artisan):
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan))
    for url in PAGE_URLS[1:] + object_urls(slot):
        assert signed_in.get(url).status_code == 200, url


def test_home_redirects_to_the_calendar(signed_in):
    response = signed_in.get("/backoffice/")
    assert response.status_code == 302 and response["Location"] == "/backoffice/calendar/"


# --- Calendar -------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_month_view_shows_slots_in_the_workshop_time_zone(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan, title="Raku evening", timezone="Europe/Paris")
    SlotFactory(
        workshop=workshop, starts_at=datetime(2026, 6, 20, 8, tzinfo=UTC), capacity=6, seats_taken=2
    )
    response = signed_in.get("/backoffice/calendar/")
    html = response.content.decode()
    assert "June 2026" in html
    assert "Raku evening" in html and ">10:00<" in html and "2/6" in html


@time_machine.travel(NOW, tick=False)
def test_calendar_marks_private_and_cancelled_slots(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan)
    at = datetime(2026, 6, 20, 8, tzinfo=UTC)
    SlotFactory(workshop=workshop, starts_at=at, kind=SlotKind.PRIVATE, status=SlotStatus.HELD)
    SlotFactory(workshop=workshop, starts_at=at, kind=SlotKind.PRIVATE, status=SlotStatus.OPEN)
    cancelled = SlotFactory(workshop=workshop, starts_at=at, status=SlotStatus.CANCELLED)
    OrderFactory(
        slot=cancelled, status=OrderStatus.CANCELLED
    )  # it had customers: it stays, struck through
    html = signed_in.get("/backoffice/calendar/").content.decode()
    assert html.count('class="badge badge-private"') == 2
    assert "Held for a request" in html and "Private session" in html
    assert "cal-slot-cancelled" in html and "<del>" in html


@time_machine.travel(NOW, tick=False)
def test_week_view_lists_only_that_week(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan, title="Glazing")
    SlotFactory(workshop=workshop, starts_at=datetime(2026, 6, 16, 8, tzinfo=UTC))
    SlotFactory(
        workshop=WorkshopFactory(artisan=artisan, title="Other week"),
        starts_at=datetime(2026, 6, 23, 8, tzinfo=UTC),
    )
    html = signed_in.get("/backoffice/calendar/?view=week&date=2026-06-17").content.decode()
    assert "Glazing" in html and "Other week" not in html
    assert "15 Jun" in html  # the week starts on Monday


@time_machine.travel(NOW, tick=False)
def test_calendar_never_shows_another_artisans_slots(signed_in, artisan):
    SlotFactory(
        workshop=WorkshopFactory(title="Not mine"), starts_at=datetime(2026, 6, 20, 8, tzinfo=UTC)
    )
    assert "Not mine" not in signed_in.get("/backoffice/calendar/").content.decode()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "query",
    [
        "?month=2026-13",
        "?month=banana",
        "?month=-1",
        "?view=week&date=2026-02-30",
        "?view=week&date=x",
        "?month=99999-01",
        "?view=fortnight",
        "?month=0001-01",
    ],
)
def test_bad_calendar_params_fall_back_to_today(signed_in, query):
    response = signed_in.get("/backoffice/calendar/" + query)
    assert response.status_code == 200
    assert "June 2026" in response.content.decode() or "Week of" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_calendar_navigation_links(signed_in):
    html = signed_in.get("/backoffice/calendar/?month=2026-01").content.decode()
    assert "?month=2025-12" in html and "?month=2026-02" in html and "?month=2026-06" in html


def make_slots(artisan, count):
    workshops = [WorkshopFactory(artisan=artisan) for _ in range(3)]
    start = datetime(2026, 6, 1, 7, tzinfo=UTC)
    Slot.objects.bulk_create(
        Slot(
            workshop=workshops[i % 3],
            starts_at=start + timedelta(minutes=137 * i),
            ends_at=start + timedelta(minutes=137 * i + 60),
            capacity=8,
            kind=SlotKind.PRIVATE if i % 5 == 0 else SlotKind.PUBLIC,
        )
        for i in range(count)
    )


@time_machine.travel(NOW, tick=False)
def test_month_view_query_count_does_not_grow_with_slots(client, django_assert_num_queries):
    few, many = ArtisanFactory(), ArtisanFactory()
    make_slots(few, 10)
    make_slots(many, 300)
    client.force_login(few.user)
    client.get("/backoffice/calendar/")  # warm the session
    # session, user, artisan, slots (with their workshops), the nav badges: the same with 10
    # slots or 300.
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/backoffice/calendar/?month=2026-06").status_code == 200
    few_queries = len(captured)  # now: the next request clears the connection's query log
    assert few_queries <= 8
    client.force_login(many.user)
    client.get("/backoffice/calendar/")
    with django_assert_num_queries(few_queries):
        response = client.get("/backoffice/calendar/?month=2026-06")
    assert response.content.decode().count("cal-slot") >= 300


# --- Slots ----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_create_weekly_series_from_the_form(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan, duration_minutes=120, default_capacity=6)
    response = signed_in.post(
        "/backoffice/slots/new/",
        {
            "workshop": workshop.pk,
            "date": "2026-06-15",
            "start_time": "10:00",
            "end_time": "",
            "capacity": "",
            "repeat": "weekly",
            "until": "2026-07-06",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("?month=2026-06")
    slots = list(Slot.objects.filter(workshop=workshop))
    assert len(slots) == 4 and {s.capacity for s in slots} == {6}
    assert len({s.series for s in slots}) == 1


@time_machine.travel(NOW, tick=False)
def test_create_with_a_past_date_shows_the_error(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan)
    response = signed_in.post(
        "/backoffice/slots/new/",
        {"workshop": workshop.pk, "date": "2026-01-15", "start_time": "10:00", "repeat": "once"},
    )
    assert response.status_code == 200
    assert "The start is in the past." in response.content.decode()
    assert not Slot.objects.exists()


def test_create_without_any_workshop_sends_to_the_workshop_form(signed_in):
    response = signed_in.get("/backoffice/slots/new/")
    assert response.status_code == 302 and response["Location"] == reverse(
        "backoffice:workshop_create"
    )


def test_create_page_prefills_the_date(signed_in, artisan):
    WorkshopFactory(artisan=artisan)
    html = signed_in.get("/backoffice/slots/new/?date=2030-05-04").content.decode()
    assert 'value="2030-05-04"' in html


def test_edit_capacity_below_seats_taken_is_a_form_error(signed_in, artisan):
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan), capacity=8, seats_taken=5)
    local = slot.starts_at.astimezone(slot.workshop.tzinfo)
    response = signed_in.post(
        reverse("backoffice:slot_edit", args=[slot.pk]),
        {
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "end_time": "23:59",
            "capacity": "3",
        },
    )
    assert response.status_code == 200
    assert "5 seats are already booked" in response.content.decode()


def test_cancel_needs_a_confirmation_and_a_message(signed_in, artisan):
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan))
    url = reverse("backoffice:slot_cancel", args=[slot.pk])
    assert "Yes, cancel the slot" in signed_in.get(url).content.decode()
    assert signed_in.post(url, {"message": ""}).status_code == 200
    slot.refresh_from_db()
    assert slot.status == SlotStatus.OPEN
    response = signed_in.post(url, {"message": "Sorry, the kiln is broken."})
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.status == SlotStatus.CANCELLED


def test_delete_after_confirmation(signed_in, artisan):
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan))
    url = reverse("backoffice:slot_delete", args=[slot.pk])
    assert "Yes, delete the slot" in signed_in.get(url).content.decode()
    assert signed_in.post(url).status_code == 302
    assert not Slot.objects.filter(pk=slot.pk).exists()


def test_delete_of_a_booked_slot_says_to_cancel(signed_in, artisan):
    order = OrderFactory(slot=SlotFactory(workshop=WorkshopFactory(artisan=artisan)))
    url = reverse("backoffice:slot_delete", args=[order.slot.pk])
    response = signed_in.post(url, follow=True)
    assert "cancel it instead" in response.content.decode()
    assert Slot.objects.filter(pk=order.slot.pk).exists()


# --- Participants ---------------------------------------------------------------------------


def test_participants_lists_confirmed_orders_only(signed_in, artisan):
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan))
    line = OrderLineFactory(
        order=OrderFactory(slot=slot, customer_name="Ada Lovelace", reference="A1B2C3", seats=2),
        label="Adult",
        quantity=2,
    )
    OrderFactory(slot=slot, customer_name="Expired Person", status=OrderStatus.EXPIRED)
    html = signed_in.get(reverse("backoffice:slot_participants", args=[slot.pk])).content.decode()
    assert "Ada Lovelace" in html and "A1B2C3" in html and "2 × Adult" in html
    assert line.order.customer_email in html
    assert "Expired Person" not in html


def test_participants_csv_is_injection_safe_with_a_safe_filename(signed_in, artisan):
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan, title='Raku "fire" / night'))
    OrderFactory(
        slot=slot, customer_name='=HYPERLINK("http://evil")', customer_phone="+33611223344"
    )
    OrderFactory(slot=slot, customer_name="@SUM(A1)", customer_phone="")
    response = signed_in.get(
        reverse("backoffice:slot_participants", args=[slot.pk]) + "?format=csv"
    )
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="participants-raku-fire-night-')
    assert disposition.count('"') == 2
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Name"
    names = sorted(row[0] for row in rows[1:])
    assert names == ['\'=HYPERLINK("http://evil")', "'@SUM(A1)"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_participants_page_query_count_is_flat(signed_in, artisan, django_assert_max_num_queries):
    slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan), capacity=40)
    for _ in range(30):
        OrderLineFactory(order=OrderFactory(slot=slot))
    # session, user, artisan, slot, orders with lines and tickets, one per nav badge.
    with django_assert_max_num_queries(10):
        signed_in.get(reverse("backoffice:slot_participants", args=[slot.pk]))


# --- Activity -------------------------------------------------------------------------------


def test_activity_lists_my_workshops_paginated(signed_in, artisan):
    for i in range(23):
        WorkshopFactory(artisan=artisan, title=f"Workshop {i:02d}")
    WorkshopFactory(title="Someone else's")
    first = signed_in.get("/backoffice/activity/").content.decode()
    second = signed_in.get("/backoffice/activity/?page=2").content.decode()
    assert "Workshop 00" in first and "Workshop 22" not in first and "Workshop 22" in second
    assert "Someone else&#x27;s" not in first + second
    assert signed_in.get("/backoffice/activity/?page=abc").status_code == 200


def test_activity_empty_state(signed_in):
    assert "Create my first workshop" in signed_in.get("/backoffice/activity/").content.decode()


def workshop_post(**overrides):
    data = {
        "title": "Raku night",
        "description": "",
        "practical_info": "",
        "city": "Nantes",
        "address": "",
        "timezone": "Europe/Paris",
        "price_cents": "65,50",
        "currency": "EUR",
        "duration_minutes": "120",
        "default_capacity": "8",
        "privatisation_enabled": "on",
        "private_min_capacity": "2",
        "private_max_capacity": "8",
        "change_deadline_days": "4",
        "min_participants": "",
        "min_check_days": "7",
        "min_decision_days": "4",
        "tickets-TOTAL_FORMS": "1",
        "tickets-INITIAL_FORMS": "0",
        "tickets-MIN_NUM_FORMS": "0",
        "tickets-MAX_NUM_FORMS": "20",
        "tickets-0-id": "",
        "tickets-0-name": "Adult",
        "tickets-0-price_cents": "65,50",
        "tickets-0-description": "",
        "tickets-0-requires_confirmation": "on",
        "tickets-0-is_active": "on",
    }
    data.update(overrides)
    return data


def test_create_workshop_with_a_ticket_type(signed_in, artisan):
    response = signed_in.post("/backoffice/activity/new/", workshop_post())
    workshop = Workshop.objects.get(artisan=artisan)
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:workshop_edit", args=[workshop.pk])
    assert (workshop.price_cents, workshop.slug, workshop.is_published) == (
        6550,
        "raku-night",
        False,
    )
    [ticket] = workshop.ticket_types.all()
    assert (ticket.name, ticket.price_cents, ticket.requires_confirmation) == ("Adult", 6550, True)


def test_private_min_above_max_is_a_clear_error(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan, private_min_capacity=2, private_max_capacity=8)
    response = signed_in.post(
        reverse("backoffice:workshop_edit", args=[workshop.pk]),
        workshop_post(private_min_capacity="9", private_max_capacity="4"),
    )
    assert response.status_code == 200
    assert "The private minimum cannot be above the private maximum." in response.content.decode()
    workshop.refresh_from_db()
    assert (workshop.private_min_capacity, workshop.private_max_capacity) == (2, 8)


def test_edit_workshop_keeps_untouched_ticket_types(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan)
    ticket = TicketTypeFactory(workshop=workshop, name="Adult", price_cents=5000)
    page = signed_in.get(reverse("backoffice:workshop_edit", args=[workshop.pk])).content.decode()
    assert 'value="50"' in page  # 5000 cents shown as euros
    data = workshop_post(
        **{
            "tickets-TOTAL_FORMS": "2",
            "tickets-INITIAL_FORMS": "1",
            "tickets-0-id": str(ticket.pk),
            "tickets-0-name": "Adult",
            "tickets-0-price_cents": "50",
            "tickets-0-requires_confirmation": "",
            "tickets-1-id": "",
            "tickets-1-name": "",
            "tickets-1-price_cents": "",
            "tickets-1-description": "",
            "tickets-1-is_active": "on",
        }
    )
    del data["tickets-0-requires_confirmation"]
    response = signed_in.post(reverse("backoffice:workshop_edit", args=[workshop.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(workshop.ticket_types.values_list("name", "price_cents")) == [("Adult", 5000)]


def test_workshop_form_shows_a_placeholder_without_photo(signed_in, artisan):
    workshop = WorkshopFactory(artisan=artisan)
    assert (
        "photo-placeholder"
        in signed_in.get(reverse("backoffice:workshop_edit", args=[workshop.pk])).content.decode()
    )


def test_calendar_in_french(signed_in, artisan):
    signed_in.cookies.load({"django_language": "fr"})
    # LocaleMiddleware activates French in this thread; the override puts English back after.
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        html = signed_in.get("/backoffice/calendar/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "juin 2026" in html.lower()
    assert "Nouveau créneau" in html and "Mon activité" in html


def test_a_free_ticket_type_is_refused_and_nothing_is_saved(signed_in, artisan):
    from bookings.models import Workshop

    response = signed_in.post(
        "/backoffice/activity/new/", workshop_post(**{"tickets-0-price_cents": "0"})
    )
    assert response.status_code in (200, 400)
    assert "A ticket type needs a price above zero." in response.content.decode()
    assert not Workshop.objects.filter(artisan=artisan).exists()
