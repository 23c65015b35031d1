"""Page versions (kept by database triggers, see `PageVersion`): one cheap query each."""

from django.db.models import OuterRef, Subquery
from django.http import Http404

from ..models import PageVersion, Workshop


def _version(kind: str, object_id):
    return Subquery(PageVersion.objects.filter(kind=kind, object_id=object_id).values("version")[:1])


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


def artisan_version(*, artisan_id: int) -> int:
    """The version of everything an artisan's calendar shows (slots and workshops)."""
    return PageVersion.objects.filter(kind="a", object_id=artisan_id).values_list("version", flat=True).first() or 0
