"""Date alerts in the Django admin: a read-only list ops search by email; unsubscribe through
the service; the token of the links is never shown."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from bookings.models import DateAlert
from bookings.services.date_alerts import date_alert_subscribe
from bookings.states import DateAlertStatus
from tests.factories import WorkshopFactory

pytestmark = pytest.mark.django_db
LIST = reverse("admin:bookings_datealert_changelist")


@pytest.fixture
def ops(client):
    user = get_user_model().objects.create_superuser(
        "ops@example.com", "ops@example.com", "ops-password-123"
    )
    client.force_login(user)
    return client


def _alert(email, workshop=None) -> DateAlert:
    workshop = workshop or WorkshopFactory()
    return date_alert_subscribe(workshop_id=workshop.pk, email=email, language="en")


def test_the_list_is_searchable_by_email(ops):
    _alert("ada@example.com")
    _alert("bob@example.com")
    html = ops.get(LIST, {"q": "ADA@"}).content.decode()
    assert "ada@example.com" in html and "bob@example.com" not in html
    assert "Awaiting confirmation" in html


def test_a_subscription_is_read_only_and_its_token_is_not_shown(ops):
    alert = _alert("ada@example.com")
    page = ops.get(reverse("admin:bookings_datealert_change", args=[alert.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and alert.token not in html
    assert 'name="status"' not in html and 'name="email"' not in html
    assert ops.get(reverse("admin:bookings_datealert_add")).status_code == 403
    ops.post(reverse("admin:bookings_datealert_delete", args=[alert.pk]), {"post": "yes"})
    assert DateAlert.objects.filter(pk=alert.pk).exists()


def test_ops_unsubscribe_an_address_through_the_service(ops):
    alert = _alert("ada@example.com")
    ops.post(LIST, {"action": "unsubscribe", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.status == DateAlertStatus.UNSUBSCRIBED and alert.ended_at is not None


def test_the_list_query_count_does_not_grow_with_rows(ops, django_assert_max_num_queries):
    _alert("a0@example.com")
    with django_assert_max_num_queries(12) as few:
        ops.get(LIST)
    for n in range(1, 21):
        _alert(f"a{n}@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        ops.get(LIST)
