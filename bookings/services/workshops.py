"""The artisan's activity: create and edit a workshop with its photo and ticket types."""

import io
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from ..models import Artisan, TicketType, Workshop
from .errors import BookingError

PHOTO_MAX_WIDTH = 1600
PHOTO_JPEG_QUALITY = 85

# The fields an artisan edits on the workshop itself.
WORKSHOP_FIELDS = (
    "title",
    "description",
    "practical_info",
    "city",
    "address",
    "timezone",
    "price_cents",
    "currency",
    "duration_minutes",
    "default_capacity",
    "is_published",
    "privatisation_enabled",
    "private_min_capacity",
    "private_max_capacity",
    # After the booking: free changes, minimum participants (issue 11).
    "change_deadline_days",
    "min_participants",
    "min_check_days",
    "min_decision_days",
)
# Days before the start: the bounds of the after-booking settings.
MAX_DAYS_BEFORE = 60
TICKET_TYPE_FIELDS = ("name", "description", "price_cents", "requires_confirmation", "is_active")


def unique_workshop_slug(title: str) -> str:
    base = slugify(title)[:160].strip("-") or "workshop"
    taken = set(Workshop.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def photo_to_jpeg(upload) -> ContentFile:
    """An uploaded image, turned upright, at most PHOTO_MAX_WIDTH wide, as a JPEG."""
    upload.seek(0)
    with Image.open(upload) as image:
        image = ImageOps.exif_transpose(image)
        if image.width > PHOTO_MAX_WIDTH:
            height = round(image.height * PHOTO_MAX_WIDTH / image.width)
            image = image.resize((PHOTO_MAX_WIDTH, max(height, 1)), Image.Resampling.LANCZOS)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, (255, 255, 255))
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True)
    stem = slugify(PurePath(getattr(upload, "name", "") or "photo").stem)[:60] or "photo"
    return ContentFile(out.getvalue(), name=f"{stem}.jpg")


def _check_after_booking(values: dict) -> None:
    minimum = values["min_participants"]
    if minimum is not None and minimum < 1:
        raise BookingError(_("The minimum must be at least 1."), field="min_participants")
    if minimum is not None and minimum > values["default_capacity"]:
        raise BookingError(
            _("The minimum cannot be above the default capacity."), field="min_participants"
        )
    check, decision = values["min_check_days"], values["min_decision_days"]
    for name, days in (("min_check_days", check), ("min_decision_days", decision)):
        if not 1 <= days <= MAX_DAYS_BEFORE:
            raise BookingError(
                _("Between 1 and %(max)d days.") % {"max": MAX_DAYS_BEFORE}, field=name
            )
    if decision >= check:
        raise BookingError(
            _("The decision must come after the check: fewer days before the start."),
            field="min_decision_days",
        )
    if not 0 <= values["change_deadline_days"] <= MAX_DAYS_BEFORE:
        raise BookingError(
            _("Between 0 and %(max)d days.") % {"max": MAX_DAYS_BEFORE},
            field="change_deadline_days",
        )


def _check_rules(values: dict) -> None:
    _check_after_booking(values)
    low, high = values["private_min_capacity"], values["private_max_capacity"]
    if low < 1:
        raise BookingError(
            _("The private minimum must be at least 1."), field="private_min_capacity"
        )
    if high < 1:
        raise BookingError(
            _("The private maximum must be at least 1."), field="private_max_capacity"
        )
    if low > high:
        raise BookingError(
            _("The private minimum cannot be above the private maximum."),
            field="private_min_capacity",
        )
    if values["default_capacity"] < 1:
        raise BookingError(_("The capacity must be at least 1."), field="default_capacity")
    if values["duration_minutes"] < 1:
        raise BookingError(_("The duration must be at least 1 minute."), field="duration_minutes")


def workshop_save(
    *,
    artisan: Artisan,
    workshop_id: int | None = None,
    values: dict,
    photo=None,
    remove_photo: bool = False,
    ticket_types: list[dict] = (),
) -> Workshop:
    """Create (no `workshop_id`) or update one of the artisan's workshops.

    `values` holds WORKSHOP_FIELDS. `ticket_types` is a list of dicts with TICKET_TYPE_FIELDS
    plus `id` (None for a new one) and `delete`. A ticket type already sold cannot be deleted.
    """
    values = {name: values[name] for name in WORKSHOP_FIELDS}
    _check_rules(values)
    try:
        jpeg = photo_to_jpeg(photo) if photo is not None else None
    except (OSError, ValueError, Image.DecompressionBombError):
        raise BookingError(
            _("This photo could not be read. Try a JPEG or PNG file."), field="photo"
        ) from None
    with transaction.atomic():
        if workshop_id is None:
            workshop = Workshop(
                artisan=artisan, slug=unique_workshop_slug(values["title"]), **values
            )
            workshop.save()
        else:
            workshop = (
                Workshop.objects.select_for_update().filter(artisan=artisan, pk=workshop_id).first()
            )
            if workshop is None:
                raise Workshop.DoesNotExist
            for name, value in values.items():
                setattr(workshop, name, value)
            workshop.save(update_fields=[*values, "updated_at"])
        if jpeg is not None:
            workshop.photo.save(jpeg.name, jpeg, save=False)
            workshop.save(update_fields=["photo"])
        elif remove_photo and workshop.photo:
            workshop.photo = ""
            workshop.save(update_fields=["photo"])
        _save_ticket_types(workshop, ticket_types)
    return workshop


def _save_ticket_types(workshop: Workshop, ticket_types) -> None:
    existing = {t.pk: t for t in TicketType.objects.filter(workshop=workshop)}
    position = 0
    for row in ticket_types:
        ticket_type = existing.get(row.get("id")) if row.get("id") else None
        if row.get("delete"):
            if ticket_type is not None:
                try:
                    with transaction.atomic():
                        ticket_type.delete()
                except ProtectedError:
                    raise BookingError(
                        _("“%(name)s” has been sold: untick “on sale” instead of deleting it.")
                        % {"name": ticket_type.name},
                        field="ticket_types",
                    ) from None
            continue
        if ticket_type is None:
            ticket_type = TicketType(workshop=workshop)
        for name in TICKET_TYPE_FIELDS:
            setattr(ticket_type, name, row[name])
        ticket_type.position = position
        ticket_type.save()
        position += 1
