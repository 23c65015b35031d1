import pytest
from django.core.cache import cache
from django.urls import reverse

from bookings.models import DevPayment, Order, Slot
from bookings.states import OrderStatus
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def slot():
    return SlotFactory(
        capacity=4, workshop=WorkshopFactory(price_cents=4000, title="Wheel throwing")
    )


@pytest.fixture
def adult(slot):
    return TicketTypeFactory(workshop=slot.workshop, name="Adult", price_cents=4000)


def form_data(ticket_type, qty, **overrides):
    data = {
        f"qty_{ticket_type.pk}": str(qty),
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
        "customer_phone": "06 12 34 56 78",
    }
    data.update(overrides)
    return data


def test_booking_form_shows_ticket_types_and_seats_left(client, slot, adult):
    response = client.get(reverse("storefront:book", args=[slot.workshop.slug, slot.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Adult" in body and "4 seats left" in body and "Continue to payment" in body


def test_confirm_first_ticket_says_the_card_is_charged_after_acceptance(client, slot):
    TicketTypeFactory(workshop=slot.workshop, name="Masterclass", requires_confirmation=True)
    body = client.get(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    ).content.decode()
    assert "must accept this booking first" in body and "charged if the booking is accepted" in body


@pytest.mark.parametrize(
    ("qty", "overrides", "message"),
    [
        (0, {}, "Choose at least one seat."),
        (5, {}, "Ensure this value is less than or equal to 4."),
        (1, {"customer_email": "not-an-email"}, "Enter a valid email address."),
        (1, {"customer_phone": "12"}, "Enter a valid mobile phone number"),
    ],
)
def test_bad_input_gives_form_errors(client, slot, adult, qty, overrides, message):
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]),
        form_data(adult, qty, **overrides),
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Order.objects.exists()


def test_more_seats_than_left_is_a_form_error(client, slot, adult):
    Slot.objects.filter(pk=slot.pk).update(seats_taken=3)
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, 2)
    )
    assert response.status_code == 400
    assert "Only 1 seat is left" in response.content.decode()


def test_sold_out_in_the_service_is_shown_on_the_form(client, slot, adult, monkeypatch):
    # The form saw 4 seats; another customer took them before the service ran.
    from bookings.forms import checkout as checkout_forms

    monkeypatch.setattr(checkout_forms.BookingForm, "clean", lambda self: self.cleaned_data)
    Slot.objects.filter(pk=slot.pk).update(seats_taken=4)
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, 1)
    )
    assert response.status_code == 400
    assert "sold out" in response.content.decode()


def test_booking_and_paying_on_the_dev_gateway_shows_two_qr_tickets(client, slot, adult):
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, 2)
    )
    payment = DevPayment.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "storefront:dev_checkout", args=[payment.reference]
    )
    order = Order.objects.get()
    assert order.customer_phone == "+33612345678" and order.language == "en"
    response = client.post(response.url, {"action": "pay"})
    assert response.status_code == 302
    response = client.get(response.url, follow=True)
    body = response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert body.count("<svg") == 2
    for code in order.tickets.values_list("code", flat=True):
        assert code in body


def test_declining_on_the_dev_gateway_shows_payment_failed(client, slot, adult):
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, 1)
    )
    response = client.post(response.url, {"action": "decline"}, follow=True)
    assert "Payment failed" in response.content.decode()
    slot.refresh_from_db()
    assert slot.seats_taken == 0


def test_wrong_token_is_404(client, slot, adult):
    client.post(reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, 1))
    token = Order.objects.get().token
    for name in ("storefront:order", "storefront:order_tickets", "storefront:order_calendar"):
        assert (
            client.get(
                reverse(name, args=[token[:-1] + ("A" if token[-1] != "A" else "B")])
            ).status_code
            == 404
        )
    assert client.get(reverse("storefront:order", args=[token])).status_code == 200


def test_tickets_page_and_calendar_file(client, slot, adult):
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, 2)
    )
    client.post(response.url, {"action": "pay"})
    order = Order.objects.get()
    tickets = client.get(reverse("storefront:order_tickets", args=[order.token]))
    assert tickets.content.decode().count("print-ticket-qr") == 2
    ics = client.get(reverse("storefront:order_calendar", args=[order.token]))
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content and b"Wheel throwing" in ics.content


def test_order_page_in_french(client, slot, adult):
    client.cookies.load({"django_language": "fr"})
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]),
        form_data(adult, 1),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    order = Order.objects.get()
    assert order.language == "fr"
    body = client.get(
        reverse("storefront:order", args=[order.token]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Récapitulatif" in body and "Continuer vers le paiement" in body
    assert response.status_code == 302


def test_booking_posts_are_rate_limited(client, slot, adult, settings):
    settings.RATE_LIMIT_PUBLIC_FORMS = "2/m"
    url = reverse("storefront:book", args=[slot.workshop.slug, slot.pk])
    codes = [client.post(url, form_data(adult, 0)).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_dev_checkout_is_off_when_stripe_is_configured(client, slot, adult, settings):
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, 1)
    )
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert client.get(response.url).status_code == 404


def test_slot_action_links_to_the_booking_form_or_says_full(slot):
    from django.template.loader import render_to_string

    html = render_to_string(
        "bookings/storefront/_slot_action.html", {"slot": slot, "workshop": slot.workshop}
    )
    assert reverse("storefront:book", args=[slot.workshop.slug, slot.pk]) in html
    slot.seats_taken = slot.capacity
    assert "Full" in render_to_string(
        "bookings/storefront/_slot_action.html", {"slot": slot, "workshop": slot.workshop}
    )


@pytest.mark.parametrize("seats", [1, 4])
def test_order_page_queries_do_not_grow_with_tickets(
    client, slot, adult, seats, django_assert_num_queries
):
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, seats)
    )
    client.post(response.url, {"action": "pay"})
    order = Order.objects.get()
    assert order.tickets.count() == seats
    with django_assert_num_queries(
        4
    ):  # order (+slot, workshop, artisan), lines, tickets, gift cards
        assert client.get(reverse("storefront:order", args=[order.token])).status_code == 200


def test_booking_form_is_404_for_a_private_cancelled_or_past_slot(client, adult, slot):
    from datetime import timedelta

    from django.utils import timezone

    from bookings.states import SlotKind, SlotStatus

    private = SlotFactory(workshop=slot.workshop, kind=SlotKind.PRIVATE, status=SlotStatus.HELD)
    cancelled = SlotFactory(workshop=slot.workshop, status=SlotStatus.CANCELLED)
    past = SlotFactory(workshop=slot.workshop, starts_at=timezone.now() - timedelta(days=1))
    for other in (private, cancelled, past):
        assert (
            client.get(reverse("storefront:book", args=[other.workshop.slug, other.pk])).status_code
            == 404
        )


def test_return_page_reconciles_when_the_callback_was_lost(client, slot, adult):
    from bookings.payments import get_gateway

    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), form_data(adult, 1)
    )
    order = Order.objects.get()
    get_gateway("dev").customer_pays(order.payment_intent_id)  # paid, no event delivered
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
    response = client.get(reverse("storefront:checkout_return", args=[order.token]))
    assert response.status_code == 302
    assert Order.objects.get().status == OrderStatus.CONFIRMED


def test_payment_service_down_keeps_the_order_with_a_retry_button(client, slot, adult, monkeypatch):
    from bookings.payments import PaymentUnavailable
    from bookings.payments.dev import DevGateway

    def down(self, **kwargs):
        raise PaymentUnavailable(
            "The payment service cannot be reached right now. Please try again in a moment."
        )

    monkeypatch.setattr(DevGateway, "create_payment", down)
    response = client.post(
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]),
        form_data(adult, 1),
        follow=True,
    )
    body = response.content.decode()
    assert "cannot be reached right now" in body and "Continue to payment" in body
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
