"""Date alert pages: the form on the cached workshop page, the subscribe page, the token links
(confirm needs a POST, unsubscribe takes one click), with hostile input."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from bookings import page_cache
from bookings.models import DateAlert, new_token
from bookings.services.date_alerts import CONFIRM_TEMPLATE, date_alert_subscribe
from bookings.states import DateAlertStatus
from notifications.models import Notification
from tests.factories import WorkshopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    page_cache.clear_local()
    yield
    cache.clear()
    page_cache.clear_local()


@pytest.fixture
def workshop():
    return WorkshopFactory(title="Raku firing")


def _subscribe_url(workshop) -> str:
    return reverse("storefront:date_alert_subscribe", args=[workshop.slug])


def _alert(workshop, email="ada@example.com") -> DateAlert:
    return date_alert_subscribe(workshop_id=workshop.pk, email=email, language="en")


# --- The form on the cached workshop page ----------------------------------------------------


def test_the_workshop_page_shows_the_form_without_anything_per_visitor(client, workshop):
    url = reverse("storefront:workshop", args=[workshop.slug])
    first = client.get(url)
    html = first.content.decode()
    assert "Tell me when new dates open" in html
    form = re.search(r'<form class="date-alert-form"[^>]*>', html).group(0)
    assert 'method="get"' in form and f'hx-get="{_subscribe_url(workshop)}"' in form
    assert "csrfmiddlewaretoken" not in html
    # Still cached whole: another visitor gets the same bytes and ETag.
    second = Client().get(url)
    assert second.content == first.content and second["ETag"] == first["ETag"]


def test_the_htmx_fragment_is_the_post_form_with_a_token_and_what_was_typed(client, workshop):
    response = client.get(
        _subscribe_url(workshop), {"email": "ada@example.com"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html and 'value="ada@example.com"' in html
    assert "HX-Request" in response["Vary"]


def test_without_javascript_the_get_form_lands_on_the_full_page(client, workshop):
    response = client.get(_subscribe_url(workshop), {"email": "x" * 5000})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and "csrfmiddlewaretoken" in html
    prefilled = re.search(r'<input type="email" name="email" value="(x*)"', html).group(1)
    assert len(prefilled) == 254  # cut to an address's length


def test_subscribing_sends_one_confirmation_and_says_so(client, workshop):
    response = client.post(_subscribe_url(workshop), {"email": "Ada@Example.com"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("storefront:workshop", args=[workshop.slug])
    assert "we have just sent to Ada@Example.com" in response.content.decode()
    alert = DateAlert.objects.get()
    assert alert.email == "ada@example.com" and alert.status == DateAlertStatus.PENDING
    assert Notification.objects.filter(template=CONFIRM_TEMPLATE).count() == 1


def test_a_double_submit_gives_one_row_and_one_email(client, workshop):
    for _ in range(2):
        assert (
            client.post(_subscribe_url(workshop), {"email": "ada@example.com"}).status_code == 302
        )
    assert DateAlert.objects.count() == 1
    assert Notification.objects.filter(template=CONFIRM_TEMPLATE).count() == 1


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "", "a" * 1_000_000 + "@example.com", "ada@example.com\r\nBcc: x@y.z"],
    ids=["bad", "empty", "a-million-characters", "header-injection"],
)
def test_a_bad_address_is_a_form_error_and_saves_nothing(client, workshop, email):
    response = client.post(_subscribe_url(workshop), {"email": email})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert DateAlert.objects.count() == 0 and Notification.objects.count() == 0


def test_an_unpublished_or_unknown_workshop_is_404(client):
    hidden = WorkshopFactory(is_published=False)
    assert client.post(_subscribe_url(hidden), {"email": "ada@example.com"}).status_code == 404
    url = reverse("storefront:date_alert_subscribe", args=["no-such-workshop"])
    assert client.get(url).status_code == 404
    assert DateAlert.objects.count() == 0


def test_the_form_is_rate_limited_like_the_other_public_forms(client, workshop, settings):
    settings.RATE_LIMIT_PUBLIC_FORMS = "2/h"
    for n in range(2):
        client.post(_subscribe_url(workshop), {"email": f"u{n}@example.com"})
    refused = client.post(_subscribe_url(workshop), {"email": "u9@example.com"})
    assert refused.status_code == 429
    assert not DateAlert.objects.filter(email="u9@example.com").exists()


def test_the_pages_speak_french(client, workshop):
    client.cookies.load({"django_language": "fr"})
    page = client.get(reverse("storefront:workshop", args=[workshop.slug])).content.decode()
    assert "Prévenez-moi des nouvelles dates" in page
    client.post(_subscribe_url(workshop), {"email": "ada@example.com"})
    assert DateAlert.objects.get().language == "fr"
    assert Notification.objects.get().subject.startswith("Confirmez votre e-mail")


# --- Token links -----------------------------------------------------------------------------


def test_the_confirmation_link_shows_a_button_and_only_a_post_confirms(client, workshop):
    _alert(workshop)
    link = re.search(r"https?://\S+/confirm/", Notification.objects.get().body_text).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "Confirm my subscription" in page.content.decode()
    assert DateAlert.objects.get().status == DateAlertStatus.PENDING  # a mail scanner's GET
    after = client.post("/" + path, follow=True)
    assert "You are subscribed." in after.content.decode()
    assert DateAlert.objects.get().status == DateAlertStatus.ACTIVE
    assert page["Cache-Control"] == "no-store, private" or "no-store" in page["Cache-Control"]


def test_unsubscribe_takes_one_click_and_can_be_undone(client, workshop):
    alert = _alert(workshop)
    client.post(reverse("storefront:date_alert_confirm", args=[alert.token]))
    url = reverse("storefront:date_alert_unsubscribe", args=[alert.token])
    page = client.get(url)
    assert page.status_code == 200 and "You are unsubscribed" in page.content.decode()
    assert DateAlert.objects.get().status == DateAlertStatus.UNSUBSCRIBED
    assert client.get(url).status_code == 200  # a second click: the same page
    undone = client.post(url)
    assert undone.status_code == 302
    assert DateAlert.objects.get().status == DateAlertStatus.ACTIVE


def test_confirming_an_ended_subscription_says_so(client, workshop):
    alert = _alert(workshop)
    client.get(reverse("storefront:date_alert_unsubscribe", args=[alert.token]))
    response = client.post(reverse("storefront:date_alert_confirm", args=[alert.token]))
    assert response.status_code == 400
    assert "Subscribe again" in response.content.decode()
    assert DateAlert.objects.get().status == DateAlertStatus.UNSUBSCRIBED


@pytest.mark.parametrize(
    "name", ["storefront:date_alert_confirm", "storefront:date_alert_unsubscribe"]
)
@pytest.mark.parametrize(
    "tampered",
    [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t[:10], lambda t: t * 30],
    ids=["one-character", "short", "very-long"],
)
def test_a_tampered_token_is_404_and_changes_nothing(client, workshop, name, tampered):
    alert = _alert(workshop)
    url = reverse(name, args=[tampered(alert.token)])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert DateAlert.objects.get().status == DateAlertStatus.PENDING


def test_another_subscriptions_token_reaches_only_that_one(client, workshop):
    mine, other = _alert(workshop), _alert(workshop, "bob@example.com")
    client.get(reverse("storefront:date_alert_unsubscribe", args=[other.token]))
    mine.refresh_from_db()
    assert mine.status == DateAlertStatus.PENDING
    assert (
        client.get(reverse("storefront:date_alert_confirm", args=[new_token()])).status_code == 404
    )
