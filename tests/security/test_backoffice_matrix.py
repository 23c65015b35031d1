"""Every back-office URL, listed from the URL resolver, as anonymous, as another artisan and as the owner.

A new URL fails `test_every_url_is_classified` until it is put in BACKOFFICE (and gets kwargs here) or
in PUBLIC (with the reason it needs no sign-in).
"""

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import db_snapshot, form_values

pytestmark = pytest.mark.django_db


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            yield from _walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry


def all_url_names() -> dict[str, URLPattern]:
    return dict(_walk(get_resolver().url_patterns))


# Reached without signing in, each for a reason. Everything else must be a back-office URL below.
PUBLIC = {
    "healthz": "load balancer probe, says nothing",
    "favicon": "redirect to the static icon",
    "media": "uploaded workshop photos (public storefront images)",
    "set_language": "language switcher (django.conf.urls.i18n)",
    "language_switch": "language switcher by GET (a cookie, then a same-site redirect)",
    # Storefront and customer pages: public, or reached with the customer's unguessable token
    # (tests/security/test_tokens.py).
    "storefront:home": "public",
    "storefront:workshop": "public",
    "storefront:book": "public booking form",
    "storefront:workshop_old": "301 to storefront:workshop",
    "storefront:book_old": "301 to storefront:book",
    "storefront:order": "token",
    "storefront:checkout_return": "token",
    "storefront:order_pay": "token",
    "storefront:order_tickets": "token",
    "storefront:order_calendar": "token",
    "storefront:checkout_leave": "token",
    "storefront:order_move": "token",
    "storefront:order_move_confirm": "token (the date must be one the order may move to)",
    "storefront:order_cancel": "token",
    "storefront:order_withdraw": "token",
    "storefront:order_gift_card": "token",
    "storefront:dev_checkout": "local payment page, by unguessable payment reference",
    "storefront:stripe_webhook": "signed by Stripe (test_webhooks.py)",
    "storefront:date_alert_subscribe": "public (date alerts: double opt-in by email)",
    "storefront:date_alert_confirm": "token (tests/bookings/test_date_alerts_views.py)",
    "storefront:date_alert_unsubscribe": "token (tests/bookings/test_date_alerts_views.py)",
    # Gift cards: buying is public; the card by its token; the balance by its code (rate limited).
    "storefront:giftcard_buy": "public",
    "storefront:giftcard_balance": "public, a code per POST, rate limited (test_giftcard_views.py)",
    "storefront:giftcard_print": "token (test_giftcard_views.py)",
    "storefront:giftcard_return": "token",
    "privatisation:request_form": "public",
    "privatisation:price": "public",
    "privatisation:suggest": "public",
    "privatisation:customer_request": "token",
    "privatisation:customer_withdraw": "token",
    "privatisation:customer_choose": "token",
    "privatisation:customer_payment_return": "token",
    "privatisation:customer_message": "token",
    "privatisation:quote": "token",
    "privatisation:quote_pdf": "token",
    "privatisation:manage_signed": "the artisan's signed link: one request only (test_tokens.py)",
    # Signing in and out, password reset (rate limited, throttled: test_throttling.py).
    "backoffice:login": "sign-in",
    "backoffice:logout": "sign-out",
    "backoffice:password_reset": "public",
    "backoffice:password_reset_done": "public",
    "backoffice:password_reset_confirm": "Django's reset token",
    "backoffice:password_reset_complete": "public",
    # Minimum participants (issue 11).
    "backoffice:minimum_decide": "the artisan's signed link: one slot only (test_minimum.py)",
}
# Django admin: staff only, guarded by admin.site itself (test_admin_needs_staff below).
PUBLIC_PREFIXES = ("admin:",)

# name → POST-only (a GET is 405 for the owner)
BACKOFFICE = {
    "backoffice:home": False,
    "backoffice:calendar": False,
    "backoffice:slot_create": False,
    "backoffice:slot_participants": False,
    "backoffice:slot_edit": False,
    "backoffice:slot_cancel": False,
    "backoffice:slot_delete": False,
    "backoffice:activity": False,
    "backoffice:activity_settings": False,
    "backoffice:workshop_create": False,
    "backoffice:workshop_edit": False,
    "privatisation:list": False,
    "privatisation:manage": False,
    "privatisation:suggestion_decide": True,
    "pending_orders:list": False,
    "pending_orders:action": True,
    "pending_orders:batch": False,
    "pending_orders:retry": True,
    "backoffice:slot_check_in": False,
    "backoffice:slot_check_in_undo": True,
    # Orders (issue #11)
    "backoffice:orders": False,
    "backoffice:order": False,
    "backoffice:order_move": False,
    "backoffice:order_cancel": False,
    "backoffice:order_resend": True,
}


# Pages that send the owner on (the back-office home opens the calendar).
REDIRECTS = {"backoffice:home": 302}


def _kwargs(name, pattern, world) -> dict:
    """Owner A's objects for the URL's kwargs; an unknown kwarg fails loudly."""
    by_name = {
        ("privatisation:manage", "pk"): world.privreq.pk,
        ("privatisation:suggestion_decide", "pk"): world.suggestion.pk,
        ("privatisation:suggestion_decide", "decision"): "accept",
        ("pending_orders:batch", "pk"): world.batch.pk,
        ("pending_orders:retry", "pk"): world.pending.pk,
        ("backoffice:slot_check_in", "slot_id"): world.slot.pk,
        ("backoffice:slot_check_in_undo", "slot_id"): world.slot.pk,
        ("backoffice:slot_check_in_undo", "ticket_id"): world.order.tickets.get().pk,
    }
    if name.startswith("backoffice:order"):
        by_name[(name, "reference")] = world.order.reference
    generic = {"slot_id": world.empty_slot.pk, "workshop_id": world.workshop.pk}
    kwargs = {}
    for kwarg in pattern.pattern.regex.groupindex:
        if (name, kwarg) in by_name:
            kwargs[kwarg] = by_name[(name, kwarg)]
        elif kwarg in generic:
            kwargs[kwarg] = generic[kwarg]
        else:
            raise AssertionError(f"{name}: no builder for kwarg {kwarg!r}; add one in _kwargs")
    return kwargs


def _has_object_kwargs(pattern) -> bool:
    return bool(pattern.pattern.regex.groupindex)


def _urls(world):
    names = all_url_names()
    for name, post_only in BACKOFFICE.items():
        pattern = names[name]
        yield name, post_only, pattern, reverse(name, kwargs=_kwargs(name, pattern, world))


def test_every_url_is_classified():
    unclassified = [
        name
        for name in all_url_names()
        if name not in PUBLIC and name not in BACKOFFICE and not name.startswith(PUBLIC_PREFIXES)
    ]
    assert not unclassified, f"classify these URLs in {__file__}: {unclassified}"
    stale = [name for name in [*PUBLIC, *BACKOFFICE] if name not in all_url_names()]
    assert not stale, stale


def test_resolver_walk_finds_the_nested_backoffice_urls():
    names = all_url_names()
    assert {"backoffice:slot_edit", "privatisation:manage", "pending_orders:retry"} <= set(names)


def test_anonymous_is_sent_to_sign_in_everywhere(client, world):
    login = reverse(settings.LOGIN_URL)
    for name, _post_only, _pattern, url in _urls(world):
        for method in (client.get, client.post):
            before = db_snapshot()
            response = method(url)
            assert response.status_code == 302, (name, method, response.status_code)
            assert response["Location"].startswith(login), (name, response["Location"])
            assert db_snapshot() == before, name


def test_owner_opens_every_page(client, world):
    client.force_login(world.a.user)
    for name, post_only, _pattern, url in _urls(world):
        response = client.get(url)
        expected = 405 if post_only else REDIRECTS.get(name, 200)
        assert response.status_code == expected, (name, response.status_code)


def test_other_artisan_gets_404_on_every_object_and_cannot_see_its_lists(client, world):
    client.force_login(world.b.user)
    for name, post_only, pattern, url in _urls(world):
        before = db_snapshot()
        response = client.get(url)
        if _has_object_kwargs(pattern):
            assert response.status_code == (405 if post_only else 404), (name, response.status_code)
        else:
            assert response.status_code in (200, 302, 405), (name, response.status_code)
            html = response.content.decode()
            for secret in (
                "Alpha secret workshop",
                "Alpha Customer",
                "Alpha Pending",
                "Alpha Suggester",
                "Grace Hopper",
            ):
                assert secret not in html, (name, secret)
        assert db_snapshot() == before, name


# The POST data an owner sends (taken from the owner's own form where there is one), replayed by B.
def _post_data(client, name, url, world) -> dict:
    if name in ("backoffice:slot_edit", "backoffice:workshop_edit", "backoffice:slot_create"):
        data = form_values(client.get(url).content.decode())
        if name == "backoffice:slot_edit":
            data["capacity"] = ["5"]
        elif name == "backoffice:workshop_edit":
            data["title"] = ["Renamed by someone"]
        else:
            data["workshop"] = [str(world.workshop.pk)]
        return data
    return {
        "backoffice:slot_cancel": {"message": "Cancelled by someone"},
        "backoffice:slot_delete": {},
        "backoffice:workshop_create": {},
        "privatisation:manage": {"decision": "refuse", "message": "No thanks"},
        "privatisation:suggestion_decide": {},
        "pending_orders:action": {
            "action": "accept",
            "order": [str(world.pending.pk)],
            "confirmed": "on",
        },
        "pending_orders:retry": {},
        "backoffice:slot_check_in": {"code": world.order.tickets.get().code},
        "backoffice:order_move": {"slot": str(world.empty_slot.pk), "confirmed": "1"},
        "backoffice:order_cancel": {"message": "Cancelled by someone"},
        "backoffice:order_resend": {},
    }.get(name, {})


# POSTs that change something for the owner: the same POST by B must change nothing.
STATE_CHANGING = {
    "backoffice:slot_edit",
    "backoffice:slot_cancel",
    "backoffice:slot_delete",
    "backoffice:workshop_edit",
    "privatisation:manage",
    "privatisation:suggestion_decide",
    "pending_orders:action",
    "pending_orders:retry",
    "backoffice:slot_check_in",
    "backoffice:order_move",
    "backoffice:order_cancel",
    "backoffice:order_resend",
}


@pytest.mark.parametrize("target", sorted(STATE_CHANGING))
def test_state_changing_post_by_other_artisan_is_404_and_changes_nothing(
    client, world, monkeypatch, target
):
    from pending_orders import services

    monkeypatch.setattr(services.dispatch, "dispatch_captures", lambda ids: None)
    names = all_url_names()
    url = reverse(target, kwargs=_kwargs(target, names[target], world))
    client.force_login(world.a.user)
    data = _post_data(client, target, url, world)

    client.force_login(world.b.user)
    before = db_snapshot()
    response = client.post(url, data)
    assert response.status_code == 404, (target, response.status_code)
    assert db_snapshot() == before

    # The same POST by the owner does change something: B's refusal is the protection, not bad data.
    client.force_login(world.a.user)
    response = client.post(url, data)
    assert response.status_code in (200, 302), (target, response.status_code)
    assert db_snapshot() != before, (
        f"{target}: the owner's POST changed nothing; the test data is wrong"
    )


def test_other_artisan_post_on_list_views_changes_nothing(client, world):
    """Views without an id in the URL take ids in the form: A's ids posted by B do nothing."""
    client.force_login(world.a.user)
    create_data = _post_data(
        client, "backoffice:slot_create", reverse("backoffice:slot_create"), world
    )
    client.force_login(world.b.user)
    for name, data in [
        ("backoffice:slot_create", create_data),
        (
            "pending_orders:action",
            {"action": "refuse", "order": [str(world.pending.pk)], "confirmed": "on"},
        ),
        ("pending_orders:list", {}),
        ("backoffice:workshop_create", {}),
    ]:
        before = db_snapshot()
        response = client.post(reverse(name), data)
        assert response.status_code in (200, 400, 404, 405), (name, response.status_code)
        assert db_snapshot() == before, name


def test_signed_in_user_without_artisan_gets_no_backoffice(client, world, django_user_model):
    user = django_user_model.objects.create_user("nobody@example.com", password="x-long-password-1")
    client.force_login(user)
    for name, _post_only, _pattern, url in _urls(world):
        response = client.get(url)
        # One shape in every app: as if the page did not exist (405 for a POST-only URL).
        assert response.status_code in (404, 405), (name, response.status_code)


def test_admin_needs_staff(client, world):
    client.force_login(world.a.user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
