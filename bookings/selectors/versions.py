"""Page versions (kept by database triggers, see `PageVersion`): one cheap query each."""

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from ..models import Artisan, PageVersion, Slot, Workshop
from ..states import SlotKind, SlotStatus


def _version(kind: str, object_id):
    return Subquery(
        PageVersion.objects.filter(kind=kind, object_id=object_id).values("version")[:1]
    )


# The two version reads on the hot path are written in SQL once: the ORM would build and
# compile the same joins and subquery on every request, several times the cost of running it.
WORKSHOP_VERSION_SQL = f"""
SELECT w.id, v.version FROM {Workshop._meta.db_table} w
LEFT JOIN {PageVersion._meta.db_table} v ON v.kind = 'w' AND v.object_id = w.id
WHERE w.slug = %s AND w.is_published = %s
"""
SLOT_VERSION_SQL = f"""
SELECT s.id, v.version FROM {Slot._meta.db_table} s
JOIN {Workshop._meta.db_table} w ON w.id = s.workshop_id
LEFT JOIN {PageVersion._meta.db_table} v ON v.kind = 'w' AND v.object_id = s.workshop_id
WHERE s.id = %s AND s.kind = %s AND s.status = %s AND s.starts_at > %s
  AND w.slug = %s AND w.is_published = %s
"""


def _row(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def published_workshop_version(*, slug: str) -> tuple[int, int]:
    """(workshop id, page version) of a published workshop; 404 for anything else."""
    row = _row(WORKSHOP_VERSION_SQL, [slug, True])
    if row is None:
        raise Http404("No such workshop")
    return row[0], row[1] or 0


def bookable_slot_version(*, slug: str, slot_id: int) -> int:
    """The page version of the workshop of a slot open for booking (public, open, not started,
    its workshop published and named `slug`); 404 for anything else. A write to the slot, its
    ticket types or its workshop (seats taken included) bumps it."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    row = _row(SLOT_VERSION_SQL, [slot_id, SlotKind.PUBLIC, SlotStatus.OPEN, now, slug, True])
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
