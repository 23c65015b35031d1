"""Page versions (kept by database triggers, see `PageVersion`): one cheap query each."""

from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from ..models import Artisan, PageVersion, Slot, Workshop
from ..states import SlotKind, SlotStatus


def _version(kind: str, object_id):
    return Subquery(
        PageVersion.objects.filter(kind=kind, object_id=object_id).values("version")[:1]
    )


def published_workshop_version(*, slug: str) -> tuple[int, int]:
    """(workshop id, page version) of a published workshop; 404 for anything else."""
    row = (
        Workshop.objects.filter(slug=slug, is_published=True)
        .annotate(page_version=_version("w", OuterRef("pk")))
        .values_list("pk", "page_version")
        .first()
    )
    if row is None:
        raise Http404("No such workshop")
    return row[0], row[1] or 0


def bookable_slot_version(*, slug: str, slot_id: int) -> int:
    """The page version of the workshop of a slot open for booking (public, open, not started,
    its workshop published and named `slug`); 404 for anything else. A write to the slot, its
    ticket types or its workshop (seats taken included) bumps it."""
    row = (
        Slot.objects.filter(
            pk=slot_id,
            kind=SlotKind.PUBLIC,
            status=SlotStatus.OPEN,
            workshop__slug=slug,
            workshop__is_published=True,
            starts_at__gt=timezone.now(),
        )
        .annotate(page_version=_version("w", OuterRef("workshop_id")))
        .values_list("pk", "page_version")
        .first()
    )
    if row is None:
        raise Http404("No such slot")
    return row[1] or 0


def artisan_of_user(user) -> Artisan | None:
    """The user's artisan with `page_version`: the version of everything their calendar shows
    (slots and workshops), read in the same query."""
    return (
        Artisan.objects.filter(user=user)
        .annotate(page_version=_version("a", OuterRef("pk")))
        .first()
    )
