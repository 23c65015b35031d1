"""Page versions (kept by database triggers, see `PageVersion`): one cheap query each."""

import functools

from django.db import connection
from django.db.models import BigIntegerField, DateTimeField, Expression, OuterRef, Subquery
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


class _Param(Expression):
    """A value given when the query runs, not when it is built (see `_artisan_query`)."""

    def __init__(self, name: str, output_field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [self]


@functools.cache
def _artisan_query(vendor: str) -> tuple[str, list]:
    """The SQL of `artisan_of_user`, built once per process: the ORM takes longer to build this
    query (three subqueries, their joins) than the database takes to run it, on every
    back-office request. Its params hold a `_Param` where a value is given at run time."""
    queryset = (
        Artisan.objects.filter(user_id=_Param("user_id", BigIntegerField()))
        .annotate(
            page_version=_version("a", OuterRef("pk")),
            **nav_badges.annotations(OuterRef("pk"), _Param("now", DateTimeField())),
        )
        .order_by()[:1]
    )
    return queryset.query.get_compiler(connection=connection).as_sql()


def artisan_of_user(user) -> Artisan | None:
    """The user's artisan with `page_version` (the version of everything their calendar shows:
    slots and workshops) and the count of each nav badge (`hooks.nav_badges`), read in the
    same query."""
    sql, params = _artisan_query(connection.vendor)
    values = {
        "user_id": user.pk,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
    }
    params = [values[p.name] if isinstance(p, _Param) else p for p in params]
    return next(iter(Artisan.objects.raw(sql, params)), None)
