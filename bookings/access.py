"""The one shape of the back-office access check, for every app's artisan pages.

A visitor not signed in goes to the login page; a signed-in user who is not an artisan, and
an artisan asking for another artisan's object, both get a 404: the page does not say
whether the object exists.

    @artisan_required
    def slot_edit(request, artisan, slot_id):
        slot = get_artisan_object_or_404(Slot.objects.select_related("workshop"), artisan, pk=slot_id)
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Artisan
from .selectors.versions import artisan_of_user


def artisan_required(view):
    """Signed in (else the login page) and an artisan (else 404); passes `artisan` to the view."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        artisan = artisan_of_user(request.user)
        if artisan is None:
            raise Http404("This account has no artisan back-office.")
        request.user.artisan = artisan  # the nav badges read it: no second query
        return view(request, artisan, *args, **kwargs)

    return wrapper


def get_artisan_object_or_404(
    queryset, artisan: Artisan, *, owner: str = "workshop__artisan", **lookup
):
    """The object of `queryset` matching `lookup` and owned by `artisan` (through `owner`), else 404."""
    return get_object_or_404(queryset, **{owner: artisan}, **lookup)
