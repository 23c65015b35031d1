"""Page versions (kept by database triggers, see `PageVersion`): one cheap query each."""

from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from ..hooks import nav_badges
from ..models import Artisan, PageVersion, Workshop


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


def artisan_of_user(user) -> Artisan | None:
    """The user's artisan with `page_version` (the version of everything their calendar shows:
    slots and workshops) and the count of each nav badge (`hooks.nav_badges`), read in the
    same query."""
    return (
        Artisan.objects.filter(user=user)
        .annotate(
            page_version=_version("a", OuterRef("pk")),
            **nav_badges.annotations(OuterRef("pk"), timezone.now()),
        )
        .first()
    )
