"""Back-office → Orders: the artisan finds any order of their workshops (search, filters,
pagination, CSV) and opens its page (customer, tickets, payments, history); never another
artisan's."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from bookings.models import OrderStatusChange, PaymentEvent, Ticket
from bookings.states import ActorKind, OrderStatus, PaymentEventKind
from tests.factories import (
    ArtisanFactory,
    OrderFactory,
    OrderLineFactory,
    SlotFactory,
    UserFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db
LIST = reverse("backoffice:orders")


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def workshop(artisan):
    return WorkshopFactory(artisan=artisan, title="Raku firing")


@pytest.fixture
def slot(workshop):
    return SlotFactory(workshop=workshop, starts_at=datetime(2031, 6, 10, 12, tzinfo=UTC))


@pytest.fixture
def signed_in(client, artisan):
    client.force_login(artisan.user)
    return client


def references(response) -> list[str]:
    assert response.status_code == 200
    return [order.reference for order in response.context["page"].object_list]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- Who sees what ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, slot):
    order = OrderFactory(slot=slot)
    for url in (LIST, reverse("backoffice:order", args=[order.reference])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("backoffice:login"))


def test_a_user_without_artisan_gets_404(client):
    client.force_login(UserFactory())
    assert client.get(LIST).status_code == 404


def test_the_list_shows_every_order_of_the_artisan_and_none_of_another(signed_in, slot):
    mine = [OrderFactory(slot=slot), OrderFactory(slot=SlotFactory(workshop=slot.workshop))]
    theirs = OrderFactory(customer_name="Ada Lovelace")
    listed = references(signed_in.get(LIST))
    assert sorted(listed) == sorted(o.reference for o in mine)
    assert theirs.reference not in references(signed_in.get(LIST, {"q": "Ada"}))
    assert theirs.reference not in csv_rows(signed_in.get(LIST, {"format": "csv"}))[1:][0]


def test_another_artisans_order_page_is_404(signed_in):
    theirs = OrderFactory()
    assert signed_in.get(reverse("backoffice:order", args=[theirs.reference])).status_code == 404
    assert signed_in.get(reverse("backoffice:order", args=["NOPE"])).status_code == 404
    assert signed_in.get(reverse("backoffice:order", args=["X" * 5000])).status_code == 404


def test_the_nav_has_an_orders_entry(signed_in):
    page = signed_in.get(LIST).content.decode()
    assert f'<a href="{LIST}" aria-current="page">Orders</a>' in page


# --- Search ------------------------------------------------------------------------------------


@pytest.fixture
def customers(slot):
    return {
        "ines": OrderFactory(
            slot=slot,
            reference="AB12CD34",
            customer_name="Inès Martin",
            customer_email="Ines.Martin@Example.com",
            customer_phone="+33612345678",
        ),
        "tom": OrderFactory(
            slot=slot,
            reference="ZZ99YY88",
            customer_name="Tom Baker",
            customer_email="tom@example.org",
            customer_phone="+447911123456",
        ),
        "nophone": OrderFactory(
            slot=slot,
            reference="QQ11RR22",
            customer_name="Zoé Petit",
            customer_email="zoe@example.net",
            customer_phone="",
        ),
    }


@pytest.mark.parametrize(
    "search, expected",
    [
        ("martin", ["ines"]),  # name, case-insensitive
        ("  TOM baker  ", ["tom"]),  # trimmed
        ("ines.martin@example.COM", ["ines"]),  # email, case-insensitive
        ("example.org", ["tom"]),
        ("ab12cd34", ["ines"]),  # order number, case-insensitive
        ("ZZ99", ["tom"]),
        ("06 12 34 56 78", ["ines"]),  # phone as typed in France
        ("+33 6 12 34 56 78", ["ines"]),
        ("0033612345678", ["ines"]),
        ("07911 123456", ["tom"]),  # national UK format, digits match the E.164 tail
        ("+44-7911-123-456", ["tom"]),
        ("nobody", []),
    ],
)
def test_search_finds_an_order_by_each_field(signed_in, customers, search, expected):
    found = references(signed_in.get(LIST, {"q": search}))
    assert sorted(found) == sorted(customers[key].reference for key in expected)


def test_a_short_number_does_not_match_every_phone(signed_in, customers):
    assert references(signed_in.get(LIST, {"q": "33"})) == []


def test_a_million_character_search_is_a_form_error(signed_in, customers):
    response = signed_in.get(LIST, {"q": "a" * 1_000_000})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]
    assert references(response) == []


def test_search_with_sql_and_html_is_harmless(signed_in, customers):
    response = signed_in.get(LIST, {"q": "%' OR 1=1 --<script>"})
    assert references(response) == []
    assert "<script>" not in response.content.decode()


# --- Filters -----------------------------------------------------------------------------------


def test_filter_by_workshop_status_and_session_dates_in_the_workshops_time_zone(
    signed_in, artisan, workshop
):
    # 23:30 in Paris on 9 June is 21:30 UTC: the session belongs to 9 June locally.
    late = SlotFactory(workshop=workshop, starts_at=datetime(2031, 6, 9, 21, 30, tzinfo=UTC))
    tokyo = WorkshopFactory(artisan=artisan, title="Kintsugi", timezone="Asia/Tokyo")
    # 01:00 on 10 June in Tokyo is 16:00 UTC on 9 June.
    early = SlotFactory(workshop=tokyo, starts_at=datetime(2031, 6, 9, 16, tzinfo=UTC))
    late_order = OrderFactory(slot=late)
    tokyo_order = OrderFactory(slot=early)
    cancelled = OrderFactory(slot=late, status=OrderStatus.CANCELLED)

    assert sorted(
        references(signed_in.get(LIST, {"date_from": "2031-06-09", "date_to": "2031-06-09"}))
    ) == sorted([late_order.reference, cancelled.reference])
    assert references(signed_in.get(LIST, {"date_from": "2031-06-10"})) == [tokyo_order.reference]
    assert references(signed_in.get(LIST, {"workshop": tokyo.pk})) == [tokyo_order.reference]
    assert references(signed_in.get(LIST, {"status": "cancelled"})) == [cancelled.reference]
    assert references(
        signed_in.get(
            LIST, {"status": "confirmed", "date_to": "2031-06-09", "workshop": workshop.pk}
        )
    ) == [late_order.reference]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date_from": "9999-12-31"}, "date_from"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "2031-02-30"}, "date_from"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2031-06-10", "date_to": "2031-06-01"}, "date_to"),
        ({"status": "bogus"}, "status"),
        ({"workshop": "not-a-number"}, "workshop"),
    ],
)
def test_a_bad_filter_is_a_form_error_never_a_500(signed_in, slot, params, field):
    OrderFactory(slot=slot)
    response = signed_in.get(LIST, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert references(response) == []
    assert "Correct the search above" in response.content.decode()
    # The CSV of a bad filter is not a file of everything: the page with its errors.
    assert signed_in.get(LIST, {**params, "format": "csv"})["Content-Type"].startswith("text/html")


def test_another_artisans_workshop_is_not_a_choice(signed_in, slot):
    OrderFactory(slot=slot)
    other = OrderFactory()
    response = signed_in.get(LIST, {"workshop": other.slot.workshop.pk})
    assert "workshop" in response.context["form"].errors
    assert references(response) == []


def test_empty_states(signed_in, slot):
    page = signed_in.get(LIST).content.decode()
    assert "No orders yet" in page
    OrderFactory(slot=slot)
    page = signed_in.get(LIST, {"q": "nobody"}).content.decode()
    assert "No order matches this search." in page


# --- Pagination and query counts ---------------------------------------------------------------


def test_pagination_25_per_page_and_past_the_end_shows_the_last_page(signed_in, slot):
    for _ in range(30):
        OrderFactory(slot=SlotFactory(workshop=slot.workshop))
    first = signed_in.get(LIST)
    assert len(references(first)) == 25
    for page in ("2", "999", "-1", "abc", "9" * 400):
        response = signed_in.get(LIST, {"page": page})
        expected = 1 if page == "abc" else 2
        assert response.context["page"].number == expected, page
    assert len(references(signed_in.get(LIST, {"page": "2"}))) == 5
    # The page links keep the search.
    page = signed_in.get(LIST, {"q": "Ada", "page": "1"}).content.decode()
    assert "?q=Ada&amp;page=2" in page


def test_the_list_runs_the_same_queries_for_2_or_25_orders(
    signed_in, slot, django_assert_num_queries
):
    def queries_for_list(params):
        with CaptureQueriesContext(connection) as ctx:
            assert signed_in.get(LIST, params).status_code == 200
        return len(ctx.captured_queries)

    OrderFactory.create_batch(2, slot=slot)
    few = queries_for_list({"q": "06 11 22 33 44", "date_from": "2031-01-01"})
    for _ in range(23):
        OrderFactory(slot=SlotFactory(workshop=WorkshopFactory(artisan=slot.workshop.artisan)))
    many = queries_for_list({"q": "06 11 22 33 44", "date_from": "2031-01-01"})
    assert few == many
    # session, user, artisan, the two nav badges, the time zones, the workshop choices, the
    # count, the page: no query per order.
    with django_assert_num_queries(few):
        signed_in.get(LIST, {"q": "06 11 22 33 44", "date_from": "2031-01-01"})
    assert many <= 9


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_lists_the_filtered_orders_in_the_workshops_time_zone(signed_in, customers, slot):
    rows = csv_rows(signed_in.get(LIST, {"q": "martin", "format": "csv"}))
    assert rows[0][:3] == ["Order number", "Status", "Customer"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Order number"] == "AB12CD34"
    assert row["Customer"] == "Inès Martin"
    assert row["Email"] == "Ines.Martin@Example.com"
    assert row["Mobile phone"] == "'+33612345678"  # a leading + is a formula to a spreadsheet
    assert row["Workshop"] == "Raku firing"
    assert row["Session"] == "2031-06-10 14:00"  # 12:00 UTC in Paris (summer time)
    assert row["Status"] == "Confirmed"
    assert row["Amount"] == "50.00"


def test_csv_cells_cannot_run_formulas(signed_in, slot):
    OrderFactory(
        slot=slot,
        customer_name='=HYPERLINK("http://evil.example","x")',
        customer_email="@evil@example.com",
    )
    slot.workshop.title = "-2+3"
    slot.workshop.save()
    row = csv_rows(signed_in.get(LIST, {"format": "csv"}))[1]
    assert row[2] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[3] == "'@evil@example.com"
    assert row[5] == "'-2+3"


def test_csv_export_of_every_page(signed_in, slot):
    slot.capacity = 40
    slot.save()
    for _ in range(30):
        OrderFactory(slot=slot)
    assert len(csv_rows(signed_in.get(LIST, {"format": "csv"}))) == 31


# --- The order page ----------------------------------------------------------------------------


def test_order_page_shows_customer_session_tickets_payments_and_history(signed_in, slot, artisan):
    order = OrderFactory(
        slot=slot, seats=2, total_cents=9000, customer_phone="+33612345678", reference="PAGE0001"
    )
    line = OrderLineFactory(order=order, label="Adult", quantity=2, unit_price_cents=4500)
    tickets = [Ticket.objects.create(order=order, line=line, label="Adult") for _ in range(2)]
    PaymentEvent.objects.create(
        order=order,
        kind=PaymentEventKind.CAPTURED,
        amount_cents=9000,
        provider="dev",
        idempotency_key="k-capture",
    )
    PaymentEvent.objects.create(
        order=order,
        kind=PaymentEventKind.REFUNDED,
        amount_cents=2500,
        provider="dev",
        idempotency_key="k-refund",
    )
    change = OrderStatusChange.objects.create(
        order=order,
        from_status=OrderStatus.PENDING_PAYMENT,
        to_status=OrderStatus.CONFIRMED,
        actor_kind=ActorKind.ARTISAN,
        actor_user=artisan.user,
        message="Paid at the door",
    )
    OrderStatusChange.objects.filter(pk=change.pk).update(
        created_at=datetime(2031, 1, 15, 9, 5, tzinfo=UTC)
    )

    response = signed_in.get(reverse("backoffice:order", args=["PAGE0001"]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Order PAGE0001",
        order.customer_name,
        order.customer_email,
        "+33612345678",
        "Raku firing",
        "Tuesday, 10 June 2031, 14:00",  # the session in Paris time
        tickets[0].code,
        tickets[1].code,
        "Captured",
        "Refunded",
        "€90.00",
        "€25.00",
        "Left to refund: €65.00",
        "Awaiting payment → Confirmed",
        artisan.user.email,
        "Paid at the door",
        "15 Jan 2031, 10:05",  # the history in Paris time (09:05 UTC in winter)
    ):
        assert text in page, text


def test_order_page_in_french(signed_in, slot):
    order = OrderFactory(slot=slot, reference="FRAN0001")
    with translation.override("fr"):
        signed_in.cookies["django_language"] = "fr"
        response = signed_in.get(reverse("backoffice:order", args=[order.reference]))
    page = response.content.decode()
    assert "Commande FRAN0001" in page
    assert "mardi 10 juin 2031" in page


def test_order_page_query_count_does_not_grow_with_tickets_or_history(
    signed_in, slot, django_assert_num_queries
):
    url = reverse("backoffice:order", args=["MANY0001"])
    order = OrderFactory(slot=slot, reference="MANY0001", seats=6)
    line = OrderLineFactory(order=order, quantity=1)
    Ticket.objects.create(order=order, line=line, label="Adult")
    with CaptureQueriesContext(connection) as bare:
        assert signed_in.get(url).status_code == 200
    for _ in range(3):
        line = OrderLineFactory(order=order, quantity=2)
        for _ in range(2):
            Ticket.objects.create(order=order, line=line, label="Adult")
    for n in range(10):
        PaymentEvent.objects.create(
            order=order, kind=PaymentEventKind.CAPTURED, provider="dev", idempotency_key=f"k{n}"
        )
        OrderStatusChange.objects.create(order=order, from_status="a", to_status="b")
    with django_assert_num_queries(len(bare)):
        assert signed_in.get(url).status_code == 200


def test_the_list_links_each_order_to_its_page(signed_in, slot):
    order = OrderFactory(slot=slot)
    page = signed_in.get(LIST).content.decode()
    assert reverse("backoffice:order", args=[order.reference]) in page


def test_the_list_in_french(signed_in, slot):
    OrderFactory(slot=slot, status=OrderStatus.CANCELLED)
    signed_in.cookies["django_language"] = "fr"
    page = signed_in.get(LIST).content.decode()
    for text in ("<h1>Commandes</h1>", "Annulé", "Tous les statuts", "mar. 10 juin 2031, 14:00"):
        assert text in page, text
    response = signed_in.get(LIST, {"date_from": "9999-01-01"})
    assert "Choisissez une date entre 2000 et 2099." in response.content.decode()
