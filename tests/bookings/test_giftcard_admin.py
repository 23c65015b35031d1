"""Ops' gift cards in Django admin: searchable, the ledger shown, cancel and extend through services."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from bookings.admin import EXTEND_DAYS
from bookings.models import GiftCard
from bookings.services.giftcards import giftcard_create, giftcard_issue
from bookings.states import ActorKind, GiftCardStatus

pytestmark = pytest.mark.django_db
LIST = reverse("admin:bookings_giftcard_changelist")


@pytest.fixture
def ops(client):
    user = get_user_model().objects.create_superuser(
        "ops@example.com", "ops@example.com", "ops-password-123"
    )
    client.force_login(user)
    return client


def card(email="ada@example.com", amount=5000):
    made = giftcard_create(amount_cents=amount, buyer_name="Ada", buyer_email=email)
    return giftcard_issue(gift_card_id=made.pk)


def test_cards_are_found_by_code_however_typed_or_by_email(ops):
    wanted, other = card(), card(email="bob@example.com")
    typed = wanted.display_code.lower()
    body = ops.get(LIST, {"q": typed}).content.decode()
    assert wanted.display_code in body and other.display_code not in body
    body = ops.get(LIST, {"q": "bob@example"}).content.decode()
    assert other.display_code in body and wanted.display_code not in body


def test_the_change_page_shows_the_ledger_read_only(ops):
    gift = card()
    response = ops.get(reverse("admin:bookings_giftcard_change", args=[gift.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "Issued" in body
    assert (
        ops.post(reverse("admin:bookings_giftcard_change", args=[gift.pk]), {}).status_code == 403
    )


def test_the_cancel_action_goes_through_the_service_with_a_history_row(ops):
    gift = card()
    ops.post(LIST, {"action": "cancel_cards", "_selected_action": [gift.pk]})
    gift.refresh_from_db()
    assert gift.status == GiftCardStatus.CANCELLED and gift.balance_cents == 0
    change = gift.status_changes.last()
    assert change.actor_kind == ActorKind.OPS and change.actor_user.email == "ops@example.com"


def test_the_extend_action_adds_days_with_a_history_row(ops):
    gift = card()
    before = gift.expires_at
    ops.post(LIST, {"action": "extend_cards", "_selected_action": [gift.pk]})
    gift.refresh_from_db()
    assert (gift.expires_at - before).days == EXTEND_DAYS
    assert gift.status_changes.last().actor_kind == ActorKind.OPS
    assert GiftCard.objects.count() == 1


def test_staff_who_may_only_view_gift_cards_cannot_cancel_them(client):
    viewer = get_user_model().objects.create_user(
        "viewer@example.com", "viewer@example.com", "viewer-password-123", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_giftcard"))
    client.force_login(viewer)
    gift = card()
    assert "cancel_cards" not in client.get(LIST).content.decode()
    client.post(LIST, {"action": "cancel_cards", "_selected_action": [gift.pk]})
    gift.refresh_from_db()
    assert gift.status == GiftCardStatus.ACTIVE
