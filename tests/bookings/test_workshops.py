"""workshop_save: slug, rules, photo, ticket types; the workshop's database constraints."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from bookings.models import TicketType, Workshop
from bookings.services.workshops import (
    BookingError,
    photo_to_jpeg,
    unique_workshop_slug,
    workshop_save,
)
from tests.factories import ArtisanFactory, OrderLineFactory, TicketTypeFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def values(**overrides):
    return {
        "title": "Raku firing",
        "description": "Fire your pieces outdoors.",
        "practical_info": "",
        "city": "Nantes",
        "address": "",
        "timezone": "Europe/Paris",
        "price_cents": 6550,
        "currency": "EUR",
        "duration_minutes": 180,
        "default_capacity": 6,
        "is_published": True,
        "privatisation_enabled": True,
        "private_min_capacity": 2,
        "private_max_capacity": 8,
        "change_deadline_days": 4,
        "min_participants": None,
        "min_check_days": 7,
        "min_decision_days": 4,
        **overrides,
    }


def image_upload(width=3200, height=1600, fmt="PNG", mode="RGBA", name="photo.png"):
    buffer = io.BytesIO()
    Image.new(
        mode, (width, height), (200, 100, 50, 255) if mode == "RGBA" else (200, 100, 50)
    ).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_create_generates_a_unique_slug():
    artisan = ArtisanFactory()
    first = workshop_save(artisan=artisan, values=values())
    second = workshop_save(artisan=artisan, values=values())
    assert (first.slug, second.slug) == ("raku-firing", "raku-firing-2")
    assert first.artisan == artisan and first.price_cents == 6550


def test_slug_of_a_title_without_letters_is_still_valid():
    assert unique_workshop_slug("!!!") == "workshop"


def test_edit_keeps_the_slug_and_saves_the_fields():
    workshop = WorkshopFactory(slug="kept")
    workshop_save(
        artisan=workshop.artisan,
        workshop_id=workshop.pk,
        values=values(title="New title", private_min_capacity=4, private_max_capacity=4),
    )
    workshop.refresh_from_db()
    assert (workshop.slug, workshop.title, workshop.private_min_capacity) == (
        "kept",
        "New title",
        4,
    )


def test_edit_of_another_artisans_workshop_is_not_found():
    workshop = WorkshopFactory()
    with pytest.raises(Workshop.DoesNotExist):
        workshop_save(artisan=ArtisanFactory(), workshop_id=workshop.pk, values=values())


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"private_min_capacity": 9, "private_max_capacity": 8}, "private_min_capacity"),
        ({"private_min_capacity": 0}, "private_min_capacity"),
        ({"private_max_capacity": 0, "private_min_capacity": 0}, "private_min_capacity"),
        ({"default_capacity": 0}, "default_capacity"),
    ],
    ids=["min-above-max", "min-zero", "both-zero", "capacity-zero"],
)
def test_save_refuses_broken_rules(overrides, field):
    with pytest.raises(BookingError) as error:
        workshop_save(artisan=ArtisanFactory(), values=values(**overrides))
    assert error.value.field == field
    assert not Workshop.objects.exists()


def test_photo_is_resized_to_1600_wide_jpeg():
    workshop = workshop_save(artisan=ArtisanFactory(), values=values(), photo=image_upload())
    assert workshop.photo.name.endswith(".jpg")
    with Image.open(workshop.photo.path) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (1600, 800)


def test_small_photo_keeps_its_size():
    jpeg = photo_to_jpeg(image_upload(width=800, height=600, fmt="JPEG", mode="RGB", name="a.jpg"))
    with Image.open(io.BytesIO(jpeg.read())) as image:
        assert image.size == (800, 600)


def test_photo_can_be_removed():
    workshop = workshop_save(artisan=ArtisanFactory(), values=values(), photo=image_upload())
    workshop_save(
        artisan=workshop.artisan, workshop_id=workshop.pk, values=values(), remove_photo=True
    )
    workshop.refresh_from_db()
    assert not workshop.photo


def test_ticket_types_are_created_updated_and_deleted():
    workshop = WorkshopFactory()
    keep, drop = (
        TicketTypeFactory(workshop=workshop, name="Adult"),
        TicketTypeFactory(workshop=workshop, name="Old"),
    )
    row = {"description": "", "requires_confirmation": False, "is_active": True}
    workshop_save(
        artisan=workshop.artisan,
        workshop_id=workshop.pk,
        values=values(),
        ticket_types=[
            {**row, "id": keep.pk, "name": "Adult (2h)", "price_cents": 7000, "delete": False},
            {**row, "id": drop.pk, "name": "Old", "price_cents": 1, "delete": True},
            {
                **row,
                "id": None,
                "name": "On request",
                "price_cents": 7000,
                "requires_confirmation": True,
                "delete": False,
            },
        ],
    )
    names = list(
        TicketType.objects.filter(workshop=workshop).values_list("name", "requires_confirmation")
    )
    assert names == [("Adult (2h)", False), ("On request", True)]


def test_a_sold_ticket_type_cannot_be_deleted():
    line = OrderLineFactory(ticket_type=TicketTypeFactory())
    workshop = line.ticket_type.workshop
    row = {
        "name": "Adult",
        "price_cents": 1,
        "description": "",
        "requires_confirmation": False,
        "is_active": True,
    }
    with pytest.raises(BookingError, match="untick"):
        workshop_save(
            artisan=workshop.artisan,
            workshop_id=workshop.pk,
            values=values(title="Changed"),
            ticket_types=[{**row, "id": line.ticket_type.pk, "delete": True}],
        )
    workshop.refresh_from_db()
    assert workshop.title != "Changed"  # the whole save was rolled back


@pytest.mark.parametrize(
    "changes",
    [
        {"private_min_capacity": 0},
        {"private_min_capacity": 11, "private_max_capacity": 10},
        {"default_capacity": 0},
    ],
    ids=["min-zero", "min-above-max", "capacity-zero"],
)
def test_workshop_constraints_hold_in_the_database(changes):
    workshop = WorkshopFactory()
    for name, value in changes.items():
        setattr(workshop, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        workshop.save()


def test_a_truncated_photo_is_a_clear_error_not_a_crash():
    good = image_upload(fmt="JPEG", mode="RGB", name="cut.jpg").read()
    broken = SimpleUploadedFile("cut.jpg", good[: len(good) // 3], content_type="image/jpeg")
    with pytest.raises(BookingError) as error:
        workshop_save(artisan=ArtisanFactory(), values=values(), photo=broken)
    assert error.value.field == "photo"
