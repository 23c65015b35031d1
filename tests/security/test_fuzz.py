"""Hostile input fuzzing (hypothesis): public forms never answer 500, services keep the database consistent."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.models import Order, Slot
from bookings.services import BookingError, order_place
from bookings.services.slots import slot_cancel, slot_create_series, slot_update
from bookings.states import SlotKind
from privatisation.models import DateSuggestion, Offer, PrivatisationRequest
from privatisation.services.errors import PrivatisationError
from privatisation.services.submit import Contact, privatisation_request_submit
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

hostile_text = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "' OR 1=1 --",
            "%00",
            "../../etc/passwd",
            "\u202e",
            "😀" * 50,
            "x" * 5000,
            "é" * 200,
            "{{ 7*7 }}",
            "${jndi:ldap://x}",
        ]
    ),
)
hostile_number = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(
        ["", "-1", "0", "1", "1e9", "NaN", "inf", "9" * 400, "1.5", " 2 ", "0x10", "٣"]
    ),
    hostile_text,
)
hostile_date = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "",
            "0000-00-00",
            "2026-02-30",
            "9999-12-31",
            "0001-01-01",
            "31/12/2026",
            "tomorrow",
            "2026-13-01",
            "\x00",
        ]
    ),
    hostile_text,
)
hostile_time = st.one_of(
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.sampled_from(["", "24:00", "23:59", "00:00", "99:99", "-1:00", "12:30:00.000001", "\x00"]),
    hostile_text,
)
maybe = st.one_of(st.none(), hostile_text)
# Services get text from forms, which refuse NUL bytes (Django's CharField); PostgreSQL cannot store them.
service_text = hostile_text.map(lambda t: t.replace("\x00", ""))


@pytest.fixture
def shop(db, settings):
    settings.RATE_LIMIT_PUBLIC_FORMS = "100000/h"
    cache.clear()
    workshop = WorkshopFactory(private_max_capacity=10)
    adult = TicketTypeFactory(workshop=workshop)
    slot = SlotFactory(workshop=workshop, capacity=4)
    return workshop, adult, slot


def check_consistency():
    """The invariants every action must keep."""
    assert not Slot.objects.filter(seats_taken__gt=F("capacity")).exists(), "oversold slot"
    assert not Slot.objects.filter(Q(seats_taken__lt=0) | Q(capacity__lt=0)).exists(), (
        "negative seats"
    )
    assert not Slot.objects.filter(ends_at__lte=F("starts_at")).exists(), (
        "slot ends before it starts"
    )
    private = Slot.objects.filter(kind=SlotKind.PRIVATE)
    assert not private.exclude(pk__in=Offer.objects.values("slot_id")).exists(), (
        "private slot without its offer"
    )
    assert not Order.objects.filter(lines__isnull=True).exists(), "order without lines"
    held = Slot.objects.annotate(
        held=Coalesce(Sum("orders__seats", filter=Q(orders__holds_seats=True)), 0)
    )
    wrong = [(s.pk, s.seats_taken, s.held) for s in held.exclude(seats_taken=F("held"))]
    assert not wrong, (
        f"seats_taken differs from the seats the orders hold (slot, taken, held): {wrong}"
    )
    assert not PrivatisationRequest.objects.filter(participants__lt=1).exists()


def _ok_status(response):
    assert response.status_code in (200, 302, 400, 404), response.status_code


def _fields(draw_dict):
    return {k: v for k, v in draw_dict.items() if v is not None}


# --- Forms through the test client ------------------------------------------------------------


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "qty": hostile_number,
            "customer_name": maybe,
            "customer_email": st.one_of(st.emails(), hostile_text),
            "customer_phone": st.one_of(
                st.sampled_from(["+33611223344", "0611223344", "+1", "++33"]), hostile_text
            ),
            "extra_qty": st.one_of(st.none(), hostile_number),
        }
    )
)
def test_booking_form_never_500(client, shop, data):
    workshop, adult, slot = shop
    post = _fields(
        {
            f"qty_{adult.pk}": data["qty"],
            "customer_name": data["customer_name"],
            "customer_email": data["customer_email"],
            "customer_phone": data["customer_phone"],
            f"qty_{adult.pk + 1000}": data["extra_qty"],
        }
    )
    _ok_status(client.post(reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), post))
    check_consistency()


def _request_post(data):
    post = _fields(
        {
            "kind": data["kind"],
            "company_name": data["company_name"],
            "billing_details": data["billing"],
            "contact_name": data["name"],
            "email": data["email"],
            "phone": data["phone"],
            "participants": data["participants"],
            "message": data["message"],
            "customer_timezone": data["tz"],
        }
    )
    if data["management"]:
        post.update(
            {
                "slots-TOTAL_FORMS": data["total"],
                "slots-INITIAL_FORMS": "0",
                "slots-MIN_NUM_FORMS": "0",
                "slots-MAX_NUM_FORMS": "1000",
            }
        )
    for i, (day, at) in enumerate(data["rows"]):
        post[f"slots-{i}-date"] = day
        post[f"slots-{i}-time"] = at
    return post


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "kind": st.one_of(st.sampled_from(["individual", "company"]), hostile_text),
            "company_name": maybe,
            "billing": maybe,
            "name": maybe,
            "email": st.one_of(st.emails(), hostile_text),
            "phone": st.one_of(st.just("+33611223344"), hostile_text),
            "participants": hostile_number,
            "message": maybe,
            "tz": st.one_of(
                st.sampled_from(
                    ["Europe/Paris", "America/Los_Angeles", "Pacific/Kiritimati", "../etc", "UTC"]
                ),
                hostile_text,
            ),
            "management": st.booleans(),
            "total": st.one_of(st.integers(min_value=-5, max_value=5000).map(str), hostile_number),
            "rows": st.lists(st.tuples(hostile_date, hostile_time), max_size=15),
        }
    )
)
def test_privatisation_request_form_never_500(client, shop, data):
    workshop, _adult, _slot = shop
    _ok_status(
        client.post(
            reverse("privatisation:request_form", args=[workshop.slug]), _request_post(data)
        )
    )
    check_consistency()


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "date": hostile_date,
            "time": hostile_time,
            "contact_name": maybe,
            "email": st.one_of(st.emails(), hostile_text),
            "message": maybe,
        }
    )
)
def test_suggestion_form_never_500(client, shop, data):
    workshop, _adult, _slot = shop
    _ok_status(client.post(reverse("privatisation:suggest", args=[workshop.slug]), _fields(data)))
    check_consistency()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-12-30"])
def test_far_dates_are_form_errors(client, shop, day):
    workshop, _adult, _slot = shop
    for tz in ("Europe/Paris", "America/Los_Angeles", "Pacific/Kiritimati"):
        workshop.timezone = tz
        workshop.save(update_fields=["timezone"])
        suggested = client.post(
            reverse("privatisation:suggest", args=[workshop.slug]),
            {
                "date": day,
                "time": "23:45",
                "contact_name": "Ada",
                "email": "ada@example.com",
            },
        )
        requested = client.post(
            reverse("privatisation:request_form", args=[workshop.slug]),
            {
                "kind": "individual",
                "contact_name": "Ada",
                "email": "ada@example.com",
                "phone": "+33611223344",
                "participants": "4",
                "message": "Hi",
                "slots-TOTAL_FORMS": "1",
                "slots-INITIAL_FORMS": "0",
                "slots-0-date": day,
                "slots-0-time": "23:45",
            },
        )
        # A form error is the page again (200) with the error; a redirect would mean the date was taken.
        assert (suggested.status_code, requested.status_code) == (200, 200), (tz, day)
    assert not DateSuggestion.objects.exists() and not PrivatisationRequest.objects.exists()
    check_consistency()


# --- Services with random inputs -------------------------------------------------------------

# hypothesis takes naive bounds and adds the zone.
far = st.datetimes(
    min_value=datetime(1, 1, 2),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)
soon = st.integers(min_value=-3 * 24 * 60, max_value=400 * 24 * 60).map(
    lambda m: timezone.now() + timedelta(minutes=m)
)
any_start = st.one_of(soon, far)


@FUZZ
@given(
    quantities=st.dictionaries(
        st.integers(min_value=-3, max_value=10**6),
        st.integers(min_value=-(10**6), max_value=10**6),
        max_size=4,
    ),
    name=service_text,
    email=service_text,
    phone=service_text,
)
def test_order_place_gives_a_domain_error_or_an_order(shop, quantities, name, email, phone):
    workshop, adult, slot = shop
    quantities = {(adult.pk if k == 0 else k): v for k, v in quantities.items()}
    try:
        order = order_place(
            slot_id=slot.pk,
            quantities=quantities,
            customer_name=name,
            customer_email=email,
            customer_phone=phone,
        )
    except BookingError:
        pass
    else:
        assert order.seats > 0
    check_consistency()


@FUZZ
@given(
    participants=st.integers(min_value=-(10**9), max_value=10**9),
    starts=st.lists(any_start, max_size=12),
    message=service_text,
    company=service_text,
    kind=st.sampled_from(["individual", "company", "bogus"]),
)
def test_privatisation_request_submit_gives_a_domain_error_or_a_request(
    shop, participants, starts, message, company, kind
):
    workshop, _adult, _slot = shop
    contact = Contact(
        name="Ada",
        email="ada@example.com",
        phone="+33611223344",
        language="en",
        timezone="Europe/Paris",
        kind=kind,
        company_name=company,
    )
    try:
        privreq = privatisation_request_submit(
            workshop_id=workshop.pk,
            contact=contact,
            participants=participants,
            starts=starts,
            message=message,
        )
    except PrivatisationError:
        pass
    else:
        assert 1 <= privreq.participants <= workshop.private_max_capacity
        assert 1 <= privreq.proposed_slots.count() <= 10
    check_consistency()


@FUZZ
@given(
    starts=any_start,
    minutes=st.integers(min_value=-600, max_value=10**6),
    capacity=st.integers(min_value=-5, max_value=10**6),
    weeks=st.one_of(st.none(), st.integers(min_value=-2, max_value=60)),
    new_capacity=st.integers(min_value=-5, max_value=50),
    cancel_message=service_text,
)
def test_slot_services_give_a_domain_error_or_a_valid_calendar(
    shop, starts, minutes, capacity, weeks, new_capacity, cancel_message
):
    workshop, adult, _slot = shop
    # Each example works on its own booked slot (examples share the test's database).
    slot = SlotFactory(
        workshop=workshop,
        capacity=4,
        starts_at=timezone.now() + timedelta(days=3, minutes=Slot.objects.count() * 300),
    )
    order_place(
        slot_id=slot.pk,
        quantities={adult.pk: 2},
        customer_name="Ada",
        customer_email="ada@example.com",
    )
    until = (
        None
        if weeks is None
        else (starts + timedelta(weeks=weeks)).date()
        if starts.year < 9999
        else None
    )
    try:
        slot_create_series(
            artisan=workshop.artisan,
            workshop_id=workshop.pk,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes) if starts.year < 9999 else starts,
            capacity=capacity,
            until=until,
        )
    except (BookingError, OverflowError) as exc:
        assert not isinstance(exc, OverflowError), "an overflow must be a domain error"
    try:
        slot_update(
            artisan=workshop.artisan,
            slot_id=slot.pk,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            capacity=new_capacity,
        )
    except BookingError:
        pass
    check_consistency()
    try:
        slot_cancel(artisan=workshop.artisan, slot_id=slot.pk, message=cancel_message)
    except BookingError:
        pass
    check_consistency()


# --- Regressions for what the fuzzing found ----------------------------------------------------


def test_a_huge_customer_timezone_falls_back_to_the_workshops(client, shop):
    """It was a 500: ZoneInfo("x" * 5000) looks for a file and raises OSError."""
    workshop, _adult, _slot = shop
    response = client.post(
        reverse("privatisation:request_form", args=[workshop.slug]),
        {
            "kind": "individual",
            "customer_timezone": "x" * 5000,
            "slots-TOTAL_FORMS": "0",
            "slots-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200


def test_year_9999_is_a_domain_error_in_the_services(shop):
    """It was a 500: year 9999 plus the workshop's duration overflows."""
    workshop, _adult, _slot = shop
    far_start = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    contact = Contact(name="Ada", email="ada@example.com", phone="+33611223344")
    with pytest.raises(PrivatisationError, match="two years"):
        privatisation_request_submit(
            workshop_id=workshop.pk,
            contact=contact,
            participants=4,
            starts=[far_start],
            message="Hi",
        )
    from privatisation.services.suggestions import date_suggestion_submit

    with pytest.raises(PrivatisationError, match="two years"):
        date_suggestion_submit(
            workshop_id=workshop.pk,
            starts_at=far_start,
            name="Ada",
            email="ada@example.com",
            message="",
            language="en",
        )
    check_consistency()
