"""The door page: who may use it, what it answers (whole page and fetch partial), hostile input,
"not arrived", and who came on the participants page and in its CSV."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from bookings.models import Ticket
from tests.bookings.checkin_helpers import confirmed_order, ticket_of
from tests.factories import ArtisanFactory, SlotFactory, WorkshopFactory

pytestmark = pytest.mark.django_db
# 10:05 in Paris (summer time).
AT = datetime(2026, 6, 10, 8, 5, tzinfo=UTC)


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def signed_in(client, artisan):
    client.force_login(artisan.user)
    return client


@pytest.fixture
def slot(artisan):
    return SlotFactory(workshop=WorkshopFactory(artisan=artisan, title="Raku firing"), capacity=20)


def door(slot):
    return reverse("backoffice:slot_check_in", args=[slot.pk])


def test_the_door_shows_the_counter(signed_in, slot):
    confirmed_order(slot, seats=2)
    confirmed_order(slot, name="Grace Hopper")
    html = signed_in.get(door(slot)).content.decode()
    assert "Raku firing" in html
    assert "<strong data-checked>0</strong> / 3" in html
    assert 'name="code"' in html and "csrfmiddlewaretoken" in html


def test_a_typed_code_without_javascript_checks_in_and_counts(signed_in, slot):
    order = confirmed_order(slot, name="Ada Lovelace", label="Adult")
    confirmed_order(slot, name="Grace Hopper")
    response = signed_in.post(door(slot), {"code": ticket_of(order).code})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert 'data-outcome="checked_in"' in html and "Ada Lovelace" in html and "Adult" in html
    assert "<strong data-checked>1</strong> / 2" in html
    assert 'value="' + ticket_of(order).code not in html  # the field is empty for the next one
    again = signed_in.post(door(slot), {"code": ticket_of(order).code}).content.decode()
    assert 'data-outcome="already"' in again and "Already checked in" in again


def test_a_fetch_gets_only_the_door_partial(signed_in, slot):
    order = confirmed_order(slot, name="Ada Lovelace")
    response = signed_in.post(
        door(slot), {"code": ticket_of(order).code}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="door"') and "<html" not in html
    assert 'data-outcome="checked_in"' in html and "<strong data-checked>1</strong> / 1" in html


def test_the_door_speaks_french(signed_in, slot):
    order = confirmed_order(slot, name="Ada Lovelace")
    signed_in.cookies.load({"django_language": "fr"})
    first = signed_in.post(door(slot), {"code": ticket_of(order).code}).content.decode()
    again = signed_in.post(door(slot), {"code": ticket_of(order).code}).content.decode()
    unknown = signed_in.post(door(slot), {"code": "nope"}).content.decode()
    assert "Billet valide" in first and "Ada Lovelace" in first
    assert "Déjà enregistré" in again and "Billet inconnu" in unknown
    assert "Code du billet ou numéro de commande" in first


def test_another_artisans_slot_is_404_and_checks_nothing_in(signed_in):
    theirs = SlotFactory()
    ticket = ticket_of(confirmed_order(theirs))
    assert signed_in.get(door(theirs)).status_code == 404
    assert signed_in.post(door(theirs), {"code": ticket.code}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


def test_signed_out_visitors_go_to_the_login_page(client, slot):
    response = client.get(door(slot))
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]


def test_a_post_without_the_csrf_token_is_refused(artisan, slot):
    ticket = ticket_of(confirmed_order(slot))
    client = Client(enforce_csrf_checks=True)
    client.force_login(artisan.user)
    assert client.post(door(slot), {"code": ticket.code}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


@pytest.mark.parametrize("code", ["x" * 1_000_000, "abc\x00def", ""])
def test_unreadable_codes_are_a_form_error(signed_in, slot, code):
    ticket = ticket_of(confirmed_order(slot))
    response = signed_in.post(door(slot), {"code": code})
    assert response.status_code == 400
    assert "This code cannot be read." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


@pytest.mark.parametrize("code", ["' OR '1'='1", "%_%", "<script>alert(1)</script>", "ｃｏｄｅ🙂é"])
def test_hostile_codes_are_unknown(signed_in, slot, code):
    ticket = ticket_of(confirmed_order(slot))
    response = signed_in.post(door(slot), {"code": code})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-outcome="unknown"' in html
    assert "<script>alert" not in html
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


def test_not_arrived_clears_the_check_in(signed_in, slot):
    order = confirmed_order(slot, name="Ada Lovelace")
    ticket = ticket_of(order)
    signed_in.post(door(slot), {"code": ticket.code})
    undo = reverse("backoffice:slot_check_in_undo", args=[slot.pk, ticket.pk])
    assert signed_in.get(undo).status_code == 405
    response = signed_in.post(undo, follow=True)
    assert "Ada Lovelace is marked as not arrived." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None


def test_not_arrived_on_another_artisans_ticket_is_404(signed_in, slot):
    theirs = SlotFactory()
    ticket = ticket_of(confirmed_order(theirs))
    Ticket.objects.filter(pk=ticket.pk).update(checked_in_at=AT)
    for slot_id in (slot.pk, theirs.pk):
        undo = reverse("backoffice:slot_check_in_undo", args=[slot_id, ticket.pk])
        assert signed_in.post(undo).status_code == 404
    ticket.refresh_from_db()
    assert ticket.checked_in_at == AT


def test_the_door_query_count_is_flat(signed_in, slot, django_assert_max_num_queries):
    for n in range(12):
        ticket = ticket_of(confirmed_order(slot, name=f"Person {n}"))
        Ticket.objects.filter(pk=ticket.pk).update(checked_in_at=AT)
    # session, user, artisan, slot, counter, arrivals, nav badges.
    with django_assert_max_num_queries(10):
        html = signed_in.get(door(slot)).content.decode()
    assert html.count("Not arrived") == 12


def test_participants_show_who_came_and_the_csv_has_the_local_time(signed_in, slot):
    came = confirmed_order(slot, name="Ada Lovelace", seats=2)
    confirmed_order(slot, name="Grace Hopper")
    first, second = came.tickets.order_by("pk")
    Ticket.objects.filter(pk=first.pk).update(checked_in_at=AT)
    participants = reverse("backoffice:slot_participants", args=[slot.pk])
    html = signed_in.get(participants).content.decode()
    assert "✓ 1/2 · 10:05" in html
    assert door(slot) in html
    Ticket.objects.filter(pk=second.pk).update(checked_in_at=AT.replace(minute=9))
    assert "✓ 10:09" in signed_in.get(participants).content.decode()
    rows = list(
        csv.reader(
            io.StringIO(signed_in.get(participants + "?format=csv").content.decode("utf-8-sig"))
        )
    )
    assert rows[0][-1] == "Checked in at"
    by_name = {row[0]: row[-1] for row in rows[1:]}
    assert by_name == {"Ada Lovelace": "2026-06-10 10:09", "Grace Hopper": ""}
