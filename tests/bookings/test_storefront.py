from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import Slot, Workshop
from bookings.states import SlotKind, SlotStatus
from tests.factories import ArtisanFactory, SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def _slots(workshop, n, *, start=None, **kwargs):
    start = start or (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return [
        SlotFactory(workshop=workshop, starts_at=start + timedelta(hours=6 * i), **kwargs)
        for i in range(n)
    ]


def _page(client, workshop, **params):
    return client.get(reverse("storefront:workshop", args=[workshop.slug]), params)


# --- home -------------------------------------------------------------------------------------


def test_home_lists_published_workshops_with_price_city_artisan_and_next_three_dates(client):
    workshop = WorkshopFactory(
        title="Wheel throwing",
        city="Lyon",
        price_cents=6500,
        artisan=ArtisanFactory(display_name="Claire Dubois"),
    )
    _slots(workshop, 5)
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Wheel throwing" in html and "Lyon" in html and "Claire Dubois" in html
    assert "€65.00" in html
    assert html.count("<time datetime=") == 3


def test_home_hides_unpublished_workshops(client):
    WorkshopFactory(title="Secret draft", is_published=False)
    assert "Secret draft" not in client.get("/").content.decode()


def test_home_shows_an_empty_state_when_nothing_is_published(client):
    html = client.get("/").content.decode()
    assert "No workshop is open for booking yet." in html


def test_home_next_dates_skip_past_cancelled_private_and_held_slots(client):
    workshop = WorkshopFactory()
    now = timezone.now()
    SlotFactory(workshop=workshop, starts_at=now - timedelta(hours=2))
    SlotFactory(workshop=workshop, starts_at=now + timedelta(days=1), status=SlotStatus.CANCELLED)
    SlotFactory(workshop=workshop, starts_at=now + timedelta(days=2), kind=SlotKind.PRIVATE)
    SlotFactory(
        workshop=workshop,
        starts_at=now + timedelta(days=3),
        kind=SlotKind.PRIVATE,
        status=SlotStatus.HELD,
    )
    html = client.get("/").content.decode()
    assert "<time datetime=" not in html
    assert "New dates coming soon" in html


def test_home_is_paginated_by_twelve(client):
    for i in range(13):
        WorkshopFactory(title=f"Workshop {i:02d}")
    first = client.get("/").content.decode()
    second = client.get("/", {"page": 2}).content.decode()
    assert first.count('class="workshop-card"') == 12
    assert second.count('class="workshop-card"') == 1
    assert "Workshop 12" in second
    assert client.get("/", {"page": "nonsense"}).status_code == 200


def test_home_query_count_does_not_grow_with_slots(client, django_assert_num_queries):
    few = [WorkshopFactory() for _ in range(3)]
    for workshop in few:
        _slots(workshop, 4)
    with django_assert_num_queries(3):  # count, page of workshops, their next slots
        client.get("/")
    for workshop in few:
        _slots(workshop, 100, start=timezone.now() + timedelta(days=60))
    for _ in range(9):
        _slots(WorkshopFactory(), 2)
    with django_assert_num_queries(3):
        client.get("/")


# --- workshop page ----------------------------------------------------------------------------


def test_workshop_page_shows_details_price_location_and_artisan(client):
    workshop = WorkshopFactory(
        title="Sourdough morning",
        description="Knead and bake.",
        practical_info="Bring an apron.",
        city="Lyon",
        address="3 quai Saint-Vincent",
        price_cents=4500,
        duration_minutes=150,
        artisan=ArtisanFactory(display_name="Boulangerie Martin"),
    )
    html = _page(client, workshop).content.decode()
    for text in [
        "Sourdough morning",
        "Knead and bake.",
        "Bring an apron.",
        "Lyon",
        "3 quai Saint-Vincent",
        "Boulangerie Martin",
        "€45.00",
        "2 h 30",
    ]:
        assert text in html, text
    assert "{# privatisation" not in html


def test_unpublished_workshop_page_is_404(client):
    workshop = WorkshopFactory(is_published=False)
    assert _page(client, workshop).status_code == 404
    assert client.get("/workshops/no-such-workshop/").status_code == 404


def test_workshop_page_shows_times_in_the_workshop_time_zone(client):
    workshop = WorkshopFactory(timezone="America/New_York")
    start = timezone.make_aware(
        timezone.datetime(2099, 7, 14, 14, 0), timezone.get_fixed_timezone(0)
    )  # 14:00 UTC
    SlotFactory(workshop=workshop, starts_at=start)
    html = _page(client, workshop).content.decode()
    assert "10:00" in html  # EDT = UTC-4
    assert "14:00" not in html
    assert "Tuesday, 14 July 2099" in html  # the locale's own long date (CLDR en_GB)


def test_workshop_page_groups_slots_by_local_date_with_seats_left_and_full(client):
    workshop = WorkshopFactory(timezone="Europe/Paris")
    day = timezone.make_aware(timezone.datetime(2099, 3, 2, 9, 0))
    SlotFactory(workshop=workshop, starts_at=day, capacity=8, seats_taken=3)
    SlotFactory(workshop=workshop, starts_at=day + timedelta(hours=5), capacity=4, seats_taken=4)
    html = _page(client, workshop).content.decode()
    assert html.count('class="slot-date"') == 1
    assert "5 seats left" in html
    assert "Full" in html


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": SlotStatus.CANCELLED},
        {"kind": SlotKind.PRIVATE},
        {"kind": SlotKind.PRIVATE, "status": SlotStatus.HELD},
        {"status": SlotStatus.HELD},
    ],
    ids=["cancelled", "private", "private-held", "held"],
)
def test_workshop_page_never_shows_cancelled_private_or_held_slots(client, kwargs):
    workshop = WorkshopFactory()
    SlotFactory(workshop=workshop, starts_at=timezone.now() + timedelta(days=3), **kwargs)
    html = _page(client, workshop).content.decode()
    assert 'class="slot' not in html.replace('class="slots"', "")
    assert "No date is open for booking at the moment." in html


def test_workshop_page_never_shows_past_slots(client):
    workshop = WorkshopFactory()
    SlotFactory(workshop=workshop, starts_at=timezone.now() - timedelta(minutes=5))
    html = _page(client, workshop).content.decode()
    assert "No date is open for booking at the moment." in html


def test_workshop_page_shows_sixty_slots_then_a_more_dates_page(client):
    workshop = WorkshopFactory()
    slots = _slots(workshop, 65)
    first = _page(client, workshop)
    html = first.content.decode()
    assert html.count('<li class="slot') == 60
    assert "More dates" in html
    assert first.context["next_after"]
    second = _page(client, workshop, after=first.context["next_after"]).content.decode()
    assert second.count('<li class="slot') == 5
    assert "More dates" not in second
    assert slots[-1].starts_at.isoformat()[:10] in second or "Back to the first dates" in second


def test_workshop_page_ignores_a_malformed_more_dates_cursor(client):
    workshop = WorkshopFactory()
    _slots(workshop, 2)
    for bad in ["yesterday", "2024-13-45T99:00", "\x00"]:
        response = _page(client, workshop, after=bad)
        assert response.status_code == 200
        assert response.content.decode().count('<li class="slot') == 2


def test_workshop_page_query_count_is_the_same_with_10_and_300_slots(
    client, django_assert_num_queries
):
    workshop = WorkshopFactory()
    _slots(workshop, 10)
    # A first render: the page version, the workshop with its artisan, one page of slots.
    with django_assert_num_queries(3):
        _page(client, workshop)
    _slots(workshop, 290, start=timezone.now() + timedelta(days=10))
    with django_assert_num_queries(3):
        _page(client, workshop)


# --- languages --------------------------------------------------------------------------------


def test_workshop_page_in_french_formats_price_dates_and_labels(client):
    workshop = WorkshopFactory(price_cents=6550, duration_minutes=150)
    SlotFactory(
        workshop=workshop,
        starts_at=timezone.make_aware(timezone.datetime(2099, 7, 14, 10, 0)),
        capacity=8,
        seats_taken=6,
    )
    html = client.get(
        reverse("storefront:workshop", args=[workshop.slug]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "65,50\xa0€" in html
    assert "Dates à venir" in html
    assert "par place" in html
    assert "2 places restantes" in html
    assert "mardi 14 juillet 2099" in html
    assert "€65.50" not in html


def test_workshop_page_in_english_formats_price_dates_and_labels(client):
    workshop = WorkshopFactory(price_cents=6550)
    SlotFactory(
        workshop=workshop,
        starts_at=timezone.make_aware(timezone.datetime(2099, 7, 14, 10, 0)),
        capacity=8,
        seats_taken=7,
    )
    html = client.get(
        reverse("storefront:workshop", args=[workshop.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "€65.50" in html
    assert "Upcoming dates" in html
    assert "per seat" in html
    assert "1 seat left" in html
    assert "Tuesday, 14 July 2099" in html  # the locale's own long date (CLDR en_GB)


def test_workshop_page_never_shows_a_stale_seat_count_or_a_cancelled_slot(client):
    """The list of dates is cached by content: any change to a shown slot shows at once."""
    workshop = WorkshopFactory()
    first, second = _slots(workshop, 2)
    Slot.objects.filter(pk=first.pk).update(capacity=8, seats_taken=3)
    assert "5 seats left" in _page(client, workshop).content.decode()
    Slot.objects.filter(pk=first.pk).update(seats_taken=4)  # a booking (no save(), no signal)
    html = _page(client, workshop).content.decode()
    assert "4 seats left" in html and "5 seats left" not in html
    Slot.objects.filter(pk=second.pk).update(status=SlotStatus.CANCELLED)
    assert _page(client, workshop).content.decode().count('<li class="slot') == 1


def test_workshop_page_dates_follow_a_change_of_time_zone(client):
    workshop = WorkshopFactory(timezone="Europe/Paris")
    SlotFactory(
        workshop=workshop,
        starts_at=timezone.make_aware(
            timezone.datetime(2099, 1, 10, 9, 0), timezone.get_fixed_timezone(0)
        ),
    )
    assert "10:00" in _page(client, workshop).content.decode()
    Workshop.objects.filter(pk=workshop.pk).update(timezone="Europe/London")
    assert "09:00" in _page(client, workshop).content.decode()
