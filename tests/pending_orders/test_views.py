import csv
import io
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from bookings.states import OrderStatus
from pending_orders.models import DecisionBatch
from tests.factories import (
    PASSWORD,
    ArtisanFactory,
    PendingOrderFactory,
    SlotFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/backoffice/orders/pending/"


@pytest.fixture
def artisan():
    return ArtisanFactory()


@pytest.fixture
def slot(artisan):
    return SlotFactory(workshop=WorkshopFactory(artisan=artisan), capacity=10)


@pytest.fixture
def signed_in(client, artisan):
    client.login(
        request=RequestFactory().post("/"), username=artisan.user.username, password=PASSWORD
    )
    return client


def test_list_shows_pending_orders_in_the_workshop_time_zone(signed_in, slot):
    order = PendingOrderFactory(slot=slot, customer_name="Inès Martin", seats=2)

    response = signed_in.get(LIST)

    html = response.content.decode()
    assert reverse("pending_orders:list") == LIST
    assert order.reference in html and "Inès Martin" in html and "2 × Adult — on request" in html
    local = timezone.localtime(slot.starts_at, slot.workshop.tzinfo)
    assert local.strftime("%H:%M") in html
    assert 'class="badge"' in html


def test_list_hides_overdue_and_other_artisans_orders(signed_in, slot):
    overdue = PendingOrderFactory(slot=slot, decide_by=timezone.now() - timedelta(minutes=1))
    foreign = PendingOrderFactory()

    html = signed_in.get(LIST).content.decode()

    assert overdue.reference not in html and foreign.reference not in html
    assert "Nothing to decide" in html


def test_list_filters_by_workshop(signed_in, artisan, slot):
    other_slot = SlotFactory(workshop=WorkshopFactory(artisan=artisan))
    mine, other = PendingOrderFactory(slot=slot), PendingOrderFactory(slot=other_slot)

    html = signed_in.get(LIST, {"workshop": slot.workshop.pk}).content.decode()

    assert mine.reference in html and other.reference not in html


def test_list_pages_keep_the_filter(signed_in, slot):
    PendingOrderFactory.create_batch(26, slot=slot)
    html = signed_in.get(LIST, {"workshop": slot.workshop.pk}).content.decode()
    assert "Page 1 of 2" in html
    assert f'href="?workshop={slot.workshop.pk}' in html and "page=2" in html
    second = signed_in.get(LIST, {"workshop": slot.workshop.pk, "page": 2}).content.decode()
    assert "Page 2 of 2" in second and "page=1" in second


def test_list_query_count_does_not_grow_with_rows(signed_in, slot, django_assert_max_num_queries):
    PendingOrderFactory(slot=slot)
    with django_assert_max_num_queries(10) as few:
        signed_in.get(LIST)
    for _ in range(20):
        PendingOrderFactory(slot=slot)
    with django_assert_max_num_queries(len(few.captured_queries)):
        signed_in.get(LIST)


def test_csv_export_lists_what_is_filtered(signed_in, slot):
    order = PendingOrderFactory(slot=slot, customer_name="=HYPERLINK()")

    response = signed_in.get(LIST, {"format": "csv"})

    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert order.reference in body and "'=HYPERLINK()" in body


@pytest.mark.parametrize("typed", ["\t=1+1", "\r=1+1", "-2+3", "@SUM(A1)"])
def test_csv_export_neutralises_every_formula_prefix_in_text_cells(signed_in, slot, typed):
    PendingOrderFactory(
        slot=slot, customer_name=typed, customer_email=f"{typed.strip()}x@example.com"
    )

    rows = list(csv.reader(io.StringIO(signed_in.get(LIST, {"format": "csv"}).content.decode())))

    assert rows[1][1] == "'" + typed
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in rows[1])


def test_accept_asks_for_confirmation_then_shows_a_summary(
    signed_in, slot, gateway, celery_eager, django_capture_on_commit_callbacks
):
    orders = [PendingOrderFactory(slot=slot), PendingOrderFactory(slot=slot)]
    ids = [o.pk for o in orders]

    step = signed_in.post(reverse("pending_orders:action"), {"action": "accept", "order": ids})
    assert "Accept 2 orders?" in step.content.decode()
    assert all(o.status == OrderStatus.AWAITING_CONFIRMATION for o in orders)

    with django_capture_on_commit_callbacks(execute=True):
        done = signed_in.post(
            reverse("pending_orders:action"),
            {"action": "accept", "order": ids, "confirmed": "1", "message": "See you!"},
        )

    batch = DecisionBatch.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "pending_orders:batch", args=[batch.pk]
    )
    summary = signed_in.get(done["Location"]).content.decode()
    assert "2 confirmed" in summary


def test_select_all_matching_takes_every_filtered_order(signed_in, slot, gateway, monkeypatch):
    from pending_orders import services

    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    slot.capacity = 40
    slot.save()
    orders = [PendingOrderFactory(slot=slot) for _ in range(30)]

    signed_in.post(
        reverse("pending_orders:action"), {"action": "accept", "select_all": "1", "confirmed": "1"}
    )

    assert sorted(DecisionBatch.objects.get().done_ids) == sorted(o.pk for o in orders)


def test_action_without_a_ticked_order_says_so(signed_in, slot):
    response = signed_in.post(reverse("pending_orders:action"), {"action": "accept"}, follow=True)

    assert "Tick at least one order." in response.content.decode()


def test_another_artisans_order_is_a_404(signed_in, gateway):
    foreign = PendingOrderFactory()

    response = signed_in.post(
        reverse("pending_orders:action"),
        {"action": "refuse", "order": [foreign.pk], "confirmed": "1"},
    )
    assert response.status_code == 404
    assert signed_in.post(reverse("pending_orders:retry", args=[foreign.pk])).status_code == 404
    other_batch = DecisionBatch.objects.create(
        artisan=foreign.slot.workshop.artisan, action="accept"
    )
    assert signed_in.get(reverse("pending_orders:batch", args=[other_batch.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == OrderStatus.AWAITING_CONFIRMATION


def test_bad_ids_are_not_a_500(signed_in):
    response = signed_in.post(
        reverse("pending_orders:action"), {"action": "accept", "order": ["x"]}
    )
    assert response.status_code == 302


def test_list_needs_sign_in(client):
    assert client.get(LIST).status_code == 302


def test_list_reads_in_french(signed_in, artisan, slot):
    PendingOrderFactory(slot=slot)
    html = signed_in.get(LIST, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Commandes en attente" in html


def test_summary_page_query_count_does_not_grow_with_orders(
    signed_in, artisan, slot, gateway, django_assert_max_num_queries, monkeypatch
):
    from pending_orders import services

    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    few = services.orders_accept(artisan=artisan, order_ids=[PendingOrderFactory(slot=slot).pk])
    many = services.orders_accept(
        artisan=artisan, order_ids=[PendingOrderFactory(slot=slot).pk for _ in range(8)]
    )
    with django_assert_max_num_queries(10) as captured:
        signed_in.get(reverse("pending_orders:batch", args=[few.pk]))
    with django_assert_max_num_queries(len(captured.captured_queries)):
        response = signed_in.get(
            reverse("pending_orders:batch", args=[many.pk]), HTTP_HX_REQUEST="true"
        )
    assert (
        'hx-trigger="every 2s"' in response.content.decode()
    )  # still capturing: the summary polls


def test_staff_without_an_artisan_get_a_404_not_a_crash(client, django_user_model):
    staff = django_user_model.objects.create_user(
        "ops@example.com", "ops@example.com", PASSWORD, is_staff=True
    )
    client.force_login(staff)
    assert client.get(LIST).status_code == 404


def test_order_sent_a_payment_link_stays_visible_but_not_tickable(signed_in, slot):
    order = PendingOrderFactory(
        slot=slot,
        status=OrderStatus.PENDING_PAYMENT,
        hold_expires_at=timezone.now() + timedelta(hours=20),
        payment_error="The card authorisation has expired or was released.",
    )

    html = signed_in.get(LIST).content.decode()

    assert order.reference in html and "Payment link sent" in html
    assert f'value="{order.pk}" class="order-check"' not in html


def test_date_filter_uses_the_session_day_in_the_workshop_time_zone(signed_in, artisan):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    workshop = WorkshopFactory(artisan=artisan, timezone="Europe/Paris")
    late = datetime(
        2030, 6, 1, 23, 30, tzinfo=ZoneInfo("Europe/Paris")
    )  # 21:30 UTC, June 1st in Paris
    order = PendingOrderFactory(slot=SlotFactory(workshop=workshop, starts_at=late))

    on_the_day = signed_in.get(
        LIST, {"workshop": workshop.pk, "date_from": "2030-06-01", "date_to": "2030-06-01"}
    )
    next_day = signed_in.get(LIST, {"workshop": workshop.pk, "date_from": "2030-06-02"})

    assert order.reference in on_the_day.content.decode()
    assert order.reference not in next_day.content.decode()


def test_a_pending_order_row_shows_its_history(signed_in, slot, monkeypatch):
    from pending_orders import services

    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    order = PendingOrderFactory(slot=slot)
    services.orders_accept(
        artisan=slot.workshop.artisan, order_ids=[order.pk], message="Welcome aboard"
    )
    html = signed_in.get(LIST).content.decode()
    assert "<summary>History</summary>" in html and "Welcome aboard" in html
    assert "Pending confirmation → Capturing payment" in html
