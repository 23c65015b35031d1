"""Page versions (kept by database triggers, see `PageVersion`): one cheap query each.

These reads run on every view of a cached page, so each is built by the ORM once per process
(`_compiled`): building the joins and subqueries of a queryset takes longer than the database
takes to run them. A `_Param` stands where a value is given at run time.
"""

import functools

from django.db import connection
from django.db.models import (
    BigIntegerField,
    CharField,
    DateTimeField,
    Expression,
    OuterRef,
    Subquery,
)
from django.http import Http404
from django.utils import timezone

from ..hooks import nav_badges
from ..models import Artisan, PageVersion, Slot, Workshop
from ..states import SlotKind, SlotStatus


def _version(kind: str, object_id):
    return Subquery(
        PageVersion.objects.filter(kind=kind, object_id=object_id).values("version")[:1]
    )


class _Param(Expression):
    """A value given when the query runs, not when it is built (see `_compiled`)."""

    def __init__(self, name: str, output_field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [self]


def _workshop_version_query():
    return (
        Workshop.objects.filter(slug=_Param("slug", CharField()), is_published=True)
        .annotate(page_version=_version("w", OuterRef("pk")))
        .values_list("pk", "page_version")
        .order_by()[:1]
    )


def _slot_version_query():
    return (
        Slot.objects.filter(
            pk=_Param("slot_id", BigIntegerField()),
            kind=SlotKind.PUBLIC,
            status=SlotStatus.OPEN,
            starts_at__gt=_Param("now", DateTimeField()),
            workshop__slug=_Param("slug", CharField()),
            workshop__is_published=True,
        )
        .annotate(page_version=_version("f", OuterRef("workshop_id")))
        .values_list("pk", "page_version", "capacity", "seats_taken")
        .order_by()[:1]
    )


def _artisan_query():
    return (
        Artisan.objects.filter(user_id=_Param("user_id", BigIntegerField()))
        .annotate(
            page_version=_version("a", OuterRef("pk")),
            **nav_badges.annotations(OuterRef("pk"), _Param("now", DateTimeField())),
        )
        .order_by()[:1]
    )


@functools.cache
def _compiled(build, vendor: str) -> tuple[str, list]:
    """The SQL of `build()`'s queryset and its params (`_Param`s among them), once per process."""
    return build().query.get_compiler(connection=connection).as_sql()


def _sql(build, **values) -> tuple[str, list]:
    sql, params = _compiled(build, connection.vendor)
    if "now" in values:
        values["now"] = connection.ops.adapt_datetimefield_value(values["now"])
    return sql, [values[p.name] if isinstance(p, _Param) else p for p in params]


def _row(build, **values):
    with connection.cursor() as cursor:
        cursor.execute(*_sql(build, **values))
        return cursor.fetchone()


def published_workshop_version(*, slug: str) -> tuple[int, int]:
    """(workshop id, page version) of a published workshop; 404 for anything else."""
    row = _row(_workshop_version_query, slug=slug)
    if row is None:
        raise Http404("No such workshop")
    return row[0], row[1] or 0


def bookable_slot_version(*, slug: str, slot_id: int) -> tuple[int, int]:
    """(form version, seats left) of a slot open for booking (public, open, not started, its
    workshop published and named `slug`); 404 for anything else. The form version ("f") is bumped
    by a write to the slot, its ticket types, its workshop or artisan, but not by a change of the
    seats taken alone: those are read here, in the same query."""
    row = _row(_slot_version_query, slot_id=slot_id, now=timezone.now(), slug=slug)
    if row is None:
        raise Http404("No such slot")
    _, version, capacity, taken = row
    return version or 0, capacity - taken


def artisan_of_user(user) -> Artisan | None:
    """The user's artisan with `page_version` (the version of everything their calendar shows:
    slots and workshops) and the count of each nav badge (`hooks.nav_badges`), read in the
    same query."""
    sql, params = _sql(_artisan_query, user_id=user.pk, now=timezone.now())
    return next(iter(Artisan.objects.raw(sql, params)), None)
