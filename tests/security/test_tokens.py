"""Customer token links: long, random, one object each; a wrong token says nothing."""

import re
import secrets
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse

from bookings.models import new_ticket_code, new_token
from bookings.payments.dev import DevGateway
from privatisation.models import PrivatisationRequest
from privatisation.services.notify import MANAGE_SALT, manage_signature
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    SlotFactory,
    WorkshopFactory,
    privatisation_submit,
)

from .conftest import db_snapshot

pytestmark = pytest.mark.django_db

ORDER_PAGES = [
    "storefront:order",
    "storefront:order_tickets",
    "storefront:order_calendar",
    "storefront:checkout_return",
    "storefront:checkout_leave",
    "storefront:order_move",
    "storefront:order_cancel",
    "storefront:order_withdraw",
    "storefront:order_gift_card",
]
REQUEST_PAGES = [
    "privatisation:customer_request",
    "privatisation:quote",
    "privatisation:quote_pdf",
    "privatisation:customer_payment_return",
]


def _bits(token: str) -> int:
    return len(token) * 6  # URL-safe base64: 6 bits a character


def test_token_generators_use_the_os_random_source_and_give_at_least_128_bits():
    with mock.patch.object(secrets, "token_urlsafe", wraps=secrets.token_urlsafe) as spy:
        token, code = new_token(), new_ticket_code()
    assert [c.args for c in spy.call_args_list] == [(32,), (16,)]
    assert _bits(token) >= 256 and _bits(code) >= 128
    assert len({new_token() for _ in range(200)}) == 200


def test_every_customer_object_gets_a_long_token(world):
    assert _bits(world.order.token) >= 128
    assert _bits(world.privreq.token) >= 128
    assert _bits(world.suggestion.token) >= 128
    field = PrivatisationRequest._meta.get_field("token")
    assert field.default is new_token and not field.editable


def test_dev_payment_reference_is_unguessable():
    import inspect

    assert '"dev_" + secrets.token_urlsafe(18)' in inspect.getsource(DevGateway)  # 144 bits


def test_order_lookup_compares_in_constant_time(client, world):
    with mock.patch(
        "bookings.views.checkout.hmac.compare_digest", wraps=__import__("hmac").compare_digest
    ) as spy:
        assert client.get(reverse("storefront:order", args=[world.order.token])).status_code == 200
    spy.assert_called_once_with(world.order.token, world.order.token)


def test_privatisation_lookup_compares_in_constant_time(client, world):
    with mock.patch(
        "privatisation.views.hmac.compare_digest", wraps=__import__("hmac").compare_digest
    ) as spy:
        assert (
            client.get(
                reverse("privatisation:customer_request", args=[world.privreq.token])
            ).status_code
            == 200
        )
    spy.assert_called_once_with(world.privreq.token, world.privreq.token)


def _normalised(response, path):
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html)
    return html.replace(path, "PATH")


def _wrong_tokens(token):
    return {
        "truncated": token[:-1],
        "half": token[: len(token) // 2],
        "one char changed": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "extended": token + "x",
        "uppercased": token.upper() if token.upper() != token else token.lower(),
    }


@pytest.mark.parametrize("name", ORDER_PAGES)
def test_wrong_order_token_is_the_same_404_as_no_order(client, world, name):
    missing_path = reverse(name, args=[new_token()])
    missing = client.get(missing_path)
    assert missing.status_code == 404
    for label, bad in _wrong_tokens(world.order.token).items():
        path = reverse(name, args=[bad])
        response = client.get(path)
        assert response.status_code == 404, label
        assert _normalised(response, path) == _normalised(missing, missing_path), label


@pytest.mark.parametrize("name", REQUEST_PAGES)
def test_wrong_request_token_is_the_same_404_as_no_request(client, world, name):
    missing_path = reverse(name, args=[new_token()])
    missing = client.get(missing_path)
    assert missing.status_code == 404
    for label, bad in _wrong_tokens(world.privreq.token).items():
        path = reverse(name, args=[bad])
        response = client.get(path)
        assert response.status_code == 404, label
        assert _normalised(response, path) == _normalised(missing, missing_path), label


@pytest.mark.parametrize(
    "name",
    [
        "storefront:order_pay",
        "storefront:order_cancel",
        "storefront:order_withdraw",
        "storefront:order_gift_card",
        "privatisation:customer_withdraw",
        "privatisation:customer_choose",
        "privatisation:customer_message",
    ],
)
def test_wrong_token_posts_are_404_and_change_nothing(client, world, name):
    token = world.privreq.token if name.startswith("privatisation") else world.order.token
    before = db_snapshot()
    response = client.post(reverse(name, args=[token[:-1]]), {"body": "hello", "offer": "1"})
    assert response.status_code == 404
    assert db_snapshot() == before


def test_order_token_opens_only_its_own_order(client, world):
    other = OrderFactory(
        slot=SlotFactory(workshop=WorkshopFactory(title="Other workshop")),
        customer_name="Bob Other",
    )
    other.tickets.create(line=OrderLineFactory(order=other), label="Adult")
    for name in ("storefront:order", "storefront:order_tickets"):
        html = client.get(reverse(name, args=[world.order.token])).content.decode()
        assert "Alpha secret workshop" in html and world.order.reference in html, (
            name,
            html[-3000:],
        )
        assert "Other workshop" not in html and other.reference not in html
    ics = client.get(
        reverse("storefront:order_calendar", args=[world.order.token])
    ).content.decode()
    assert "Alpha secret workshop" in ics and "Other workshop" not in ics
    # An order token is not a privatisation token (and the other way round).
    assert (
        client.get(reverse("privatisation:customer_request", args=[world.order.token])).status_code
        == 404
    )
    assert client.get(reverse("storefront:order", args=[world.privreq.token])).status_code == 404


def test_request_token_opens_only_its_own_request(client, world):
    other = privatisation_submit(world.b_workshop, message="Beta private party")
    html = client.get(
        reverse("privatisation:customer_request", args=[world.privreq.token])
    ).content.decode()
    assert "Alpha private party" in html and "Beta private party" not in html
    # Withdrawing through A's link withdraws A only.
    client.post(reverse("privatisation:customer_withdraw", args=[world.privreq.token]))
    other.refresh_from_db()
    world.privreq.refresh_from_db()
    assert world.privreq.status == "withdrawn" and other.status == "pending"


def test_suggestion_token_is_not_a_request_or_order_token(client, world):
    assert (
        client.get(
            reverse("privatisation:customer_request", args=[world.suggestion.token])
        ).status_code
        == 404
    )
    assert client.get(reverse("storefront:order", args=[world.suggestion.token])).status_code == 404


# --- The artisan's signed "Manage the request" link --------------------------------------------


def test_signed_link_opens_its_request_only(client, world):
    other = privatisation_submit(world.b_workshop, message="Beta private party")
    url = reverse("privatisation:manage_signed", args=[manage_signature(world.privreq.pk)])
    html = client.get(url).content.decode()
    assert "Alpha private party" in html and "Beta private party" not in html
    # It is not a session: the rest of the back-office still asks to sign in.
    for name in ("backoffice:home", "privatisation:list", "pending_orders:list"):
        assert client.get(reverse(name)).status_code == 302
    assert client.get(reverse("privatisation:manage", args=[world.privreq.pk])).status_code == 302
    assert client.get(reverse("privatisation:manage", args=[other.pk])).status_code == 302
    # Its POST answers this request and no other.
    before = PrivatisationRequest.objects.get(pk=other.pk).status
    client.post(url, {"decision": "refuse", "message": "Sorry"})
    world.privreq.refresh_from_db()
    assert world.privreq.status == "refused"
    assert PrivatisationRequest.objects.get(pk=other.pk).status == before


@pytest.mark.parametrize(
    "signature",
    [
        lambda pk: manage_signature(pk)[:-1],  # truncated
        lambda pk: manage_signature(pk)[:-2] + "xx",  # tampered
        lambda pk: signing.dumps(pk + 1, salt="another.salt"),  # signed for something else
        lambda pk: signing.dumps(
            pk, key="not-our-secret-key-0123456789", salt=MANAGE_SALT
        ),  # forged
        lambda pk: str(pk),
    ],
)
def test_bad_signed_link_is_404_and_changes_nothing(client, world, signature):
    before = db_snapshot()
    url = reverse("privatisation:manage_signed", args=[signature(world.privreq.pk)])
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "refuse", "message": "Sorry"}).status_code == 404
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "name",
    [
        *ORDER_PAGES,
        *(n for n in REQUEST_PAGES if n not in ("privatisation:quote", "privatisation:quote_pdf")),
    ],
)
def test_token_pages_are_never_kept_by_a_shared_cache(client, world, name):
    from bookings.states import OrderStatus

    assert world.order.status == OrderStatus.CONFIRMED
    token = world.privreq.token if name.startswith("privatisation") else world.order.token
    response = client.get(reverse(name, args=[token]))
    assert response.status_code in (200, 302), response.status_code
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_signed_manage_link_is_not_cached(client, world):
    response = client.get(
        reverse("privatisation:manage_signed", args=[manage_signature(world.privreq.pk)])
    )
    assert "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "status", ["pending_payment", "expired", "awaiting_confirmation", "cancelled"]
)
@pytest.mark.parametrize("name", ["storefront:order_tickets", "storefront:order_calendar"])
def test_an_order_that_is_not_confirmed_has_no_ticket_and_no_calendar_file(
    client, world, status, name
):
    world.order.tickets.create(line=OrderLineFactory(order=world.order), label="Adult")
    type(world.order).objects.filter(pk=world.order.pk).update(status=status)
    response = client.get(reverse(name, args=[world.order.token]))
    assert response.status_code == 404
    assert all(
        code not in response.content.decode()
        for code in world.order.tickets.values_list("code", flat=True)
    )
