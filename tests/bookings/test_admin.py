import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from bookings.models import Artisan
from notifications.models import Notification
from tests.factories import (
    ArtisanFactory,
    OrderFactory,
    OrderLineFactory,
    SlotFactory,
    WorkshopFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(client):
    user = get_user_model().objects.create_superuser(
        "ops@example.com", "ops@example.com", "ops-password-123"
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model", ["artisan", "workshop", "slot", "order", "paymentevent", "webhookevent"]
)
def test_every_admin_list_renders(ops, model):
    order = OrderFactory(customer_email="ada@example.com")
    OrderLineFactory(order=order)
    assert ops.get(reverse(f"admin:bookings_{model}_changelist")).status_code == 200
    assert ops.get(reverse(f"admin:bookings_{model}_changelist"), {"q": "ada"}).status_code == 200


def test_orders_are_searchable_by_customer_email_and_name(ops):
    OrderFactory(
        customer_email="ada@example.com", customer_name="Ada Lovelace", reference="A0000001"
    )
    OrderFactory(
        customer_email="bob@example.com", customer_name="Bob Builder", reference="B0000001"
    )
    by_email = ops.get(
        reverse("admin:bookings_order_changelist"), {"q": "ada@example"}
    ).content.decode()
    by_name = ops.get(reverse("admin:bookings_order_changelist"), {"q": "Builder"}).content.decode()
    assert "A0000001" in by_email and "B0000001" not in by_email
    assert "B0000001" in by_name and "A0000001" not in by_name


def test_order_admin_is_read_only_with_lines_inline(ops):
    order = OrderFactory()
    OrderLineFactory(order=order, label="Adult seat")
    response = ops.get(reverse("admin:bookings_order_change", args=[order.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Adult seat" in html
    assert 'name="status"' not in html
    assert (
        ops.post(
            reverse("admin:bookings_order_change", args=[order.pk]), {"status": "cancelled"}
        ).status_code
        == 403
    )


def test_slot_status_and_seats_cannot_be_edited_in_admin(ops):
    slot = SlotFactory()
    html = ops.get(reverse("admin:bookings_slot_change", args=[slot.pk])).content.decode()
    assert 'name="status"' not in html
    assert 'name="seats_taken"' not in html
    assert 'name="kind"' not in html
    assert 'name="capacity"' in html


def test_workshop_admin_has_ticket_types_inline(ops):
    workshop = WorkshopFactory()
    html = ops.get(reverse("admin:bookings_workshop_change", args=[workshop.pk])).content.decode()
    assert "ticket_types-TOTAL_FORMS" in html


def test_adding_an_artisan_in_admin_creates_the_account_and_sends_the_invitation(ops):
    response = ops.post(
        reverse("admin:bookings_artisan_add"),
        {
            "email": "claire@example.com",
            "display_name": "Atelier Claire",
            "phone": "",
            "language": "fr",
            "bio": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    artisan = Artisan.objects.get(user__email="claire@example.com")
    assert artisan.slug == "atelier-claire"
    assert not artisan.user.has_usable_password()
    assert Notification.objects.get().idempotency_key == f"artisan:{artisan.pk}:invite:1"


def test_adding_an_artisan_with_a_known_email_is_a_form_error(ops):
    ArtisanFactory(user__email="claire@example.com", user__username="claire@example.com")
    response = ops.post(
        reverse("admin:bookings_artisan_add"),
        {
            "email": "Claire@example.com",
            "display_name": "Twin",
            "phone": "",
            "language": "fr",
            "bio": "",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Notification.objects.count() == 0


def test_admin_action_sends_the_invitation_again(ops):
    artisans = [ArtisanFactory(), ArtisanFactory()]
    response = ops.post(
        reverse("admin:bookings_artisan_changelist"),
        {"action": "send_invitation", "_selected_action": [a.pk for a in artisans]},
    )
    assert response.status_code == 302
    assert Notification.objects.filter(template="bookings/emails/artisan_invite").count() == 2


def test_add_artisan_page_asks_for_an_email_and_no_password(ops):
    html = ops.get(reverse("admin:bookings_artisan_add")).content.decode()
    assert 'name="email"' in html
    assert 'name="password' not in html
    assert 'name="user"' not in html


def test_artisan_change_page_keeps_the_user_read_only(ops):
    artisan = ArtisanFactory()
    response = ops.get(reverse("admin:bookings_artisan_change", args=[artisan.pk]))
    assert response.status_code == 200
    assert 'name="user"' not in response.content.decode()
    assert 'name="display_name"' in response.content.decode()


def _slot_post(slot, **overrides):
    data = {
        "workshop": slot.workshop_id,
        "starts_at_0": slot.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": slot.starts_at.strftime("%H:%M:%S"),
        "ends_at_0": slot.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": slot.ends_at.strftime("%H:%M:%S"),
        "capacity": slot.capacity,
    }
    data.update(overrides)
    return data


def test_lowering_a_slot_capacity_below_its_seats_taken_is_a_form_error_not_a_500(ops):
    slot = SlotFactory(capacity=6)
    type(slot).objects.filter(pk=slot.pk).update(seats_taken=4)
    response = ops.post(
        reverse("admin:bookings_slot_change", args=[slot.pk]), _slot_post(slot, capacity=2)
    )
    assert response.status_code == 200
    assert "4 seats are already booked" in response.content.decode()
    slot.refresh_from_db()
    assert slot.capacity == 6


def test_a_booked_slot_cannot_be_moved_to_another_workshop_or_time_in_admin(ops):
    slot = SlotFactory()
    OrderFactory(slot=slot)
    other = WorkshopFactory()
    html = ops.get(reverse("admin:bookings_slot_change", args=[slot.pk])).content.decode()
    assert 'name="workshop"' not in html and 'name="starts_at_0"' not in html
    ops.post(
        reverse("admin:bookings_slot_change", args=[slot.pk]), _slot_post(slot, workshop=other.pk)
    )
    slot.refresh_from_db()
    assert slot.workshop_id != other.pk
