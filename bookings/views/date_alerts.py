"""Date alerts ("tell me when new dates open"): the subscribe form and the token links.

The workshop page is cached whole for every visitor, so it holds no CSRF token: its form is a
GET form to the subscribe page below; htmx swaps it at once for this page's form fragment,
which carries the visitor's token and posts here (without JavaScript the visitor gets the full
page, the address already typed). The confirmation link shows a button (mail scanners fetch
links: only a POST confirms); the unsubscribe link works in one click and offers to undo.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms.date_alerts import DateAlertForm
from ..models import DateAlert
from ..ratelimit import ratelimit_post
from ..selectors import storefront as storefront_selectors
from ..selectors.date_alerts import date_alert_for_token
from ..services import BookingError
from ..services.date_alerts import (
    date_alert_confirm,
    date_alert_resume,
    date_alert_subscribe,
    date_alert_unsubscribe,
)
from ..states import DateAlertStatus
from .decorators import token_page


def _alert_or_404(token: str) -> DateAlert:
    alert = date_alert_for_token(token)
    if alert is None:
        raise Http404
    return alert


@require_http_methods(["GET", "POST"])
@ratelimit_post("date-alert")
def date_alert_subscribe_view(request, slug: str):
    workshop = storefront_selectors.published_workshop(slug=slug)
    if request.method == "POST":
        form = DateAlertForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            try:
                date_alert_subscribe(
                    workshop_id=workshop.pk,
                    email=email,
                    language=translation.get_language() or "en",
                )
            except BookingError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Almost done: follow the link we have just sent to %(email)s to confirm. "
                        "Already subscribed? Nothing more to do."
                    )
                    % {"email": email},
                )
                return redirect("storefront:workshop", slug=workshop.slug)
    else:
        form = DateAlertForm(initial={"email": request.GET.get("email", "")[:254]})
    template = (
        "bookings/date_alerts/_form.html" if request.htmx else "bookings/date_alerts/subscribe.html"
    )
    response = render(
        request,
        template,
        {"form": form, "workshop": workshop},
        status=400 if request.method == "POST" else 200,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _token_link(request, token: str, *, template: str, on_post, on_get=None):
    """A page of the subscription `token` names: `on_get` (if any) runs on a GET; the page's
    button runs `on_post`, then shows the subscription's state (the confirm page)."""
    alert = _alert_or_404(token)
    error = ""
    if request.method == "POST":
        try:
            on_post(alert_id=alert.pk)
        except BookingError as exc:
            error = exc.message
        else:
            return redirect("storefront:date_alert_confirm", token=token)
    elif on_get is not None:
        alert = on_get(alert_id=alert.pk)
    return render(
        request,
        template,
        {"alert": alert, "workshop": alert.workshop, "error": error, "statuses": DateAlertStatus},
        status=400 if error else 200,
    )


@token_page
@require_http_methods(["GET", "POST"])
def date_alert_confirm_view(request, token: str):
    """GET shows the button and the state (mail scanners fetch links); POST confirms."""
    return _token_link(
        request, token, template="bookings/date_alerts/confirm.html", on_post=date_alert_confirm
    )


@token_page
@require_http_methods(["GET", "POST"])
def date_alert_unsubscribe_view(request, token: str):
    """One click unsubscribes (GET, idempotent); the page's button (POST) subscribes again."""
    return _token_link(
        request,
        token,
        template="bookings/date_alerts/unsubscribed.html",
        on_post=date_alert_resume,
        on_get=date_alert_unsubscribe,
    )
