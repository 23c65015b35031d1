"""The same date suggestion twice (a double click, back and submit again) is one row and one email
to the artisan."""

import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from privatisation.models import DateSuggestion
from tests.factories import WorkshopFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def suggestion(day, **overrides):
    data = {
        "date": day.isoformat(),
        "time": "10:00",
        "contact_name": "Ada",
        "email": "ada@example.com",
        "message": "A Saturday please",
    }
    data.update(overrides)
    return data


def artisan_emails() -> int:
    return Notification.objects.filter(template__endswith="artisan_date_suggested").count()


@pytest.mark.django_db
def test_the_same_suggestion_twice_is_one_row_and_one_artisan_email(client):
    workshop = WorkshopFactory()
    url = reverse("privatisation:suggest", args=[workshop.slug])
    day = timezone.localdate() + timedelta(days=20)
    first = client.post(url, suggestion(day))
    second = client.post(url, suggestion(day, email="ADA@example.com "))
    assert first.status_code == second.status_code == 200
    assert second.templates[0].name == "privatisation/suggest_thanks.html"
    assert DateSuggestion.objects.count() == 1
    assert artisan_emails() == 1


@pytest.mark.django_db
def test_another_time_or_another_customer_is_another_suggestion(client):
    workshop = WorkshopFactory()
    url = reverse("privatisation:suggest", args=[workshop.slug])
    day = timezone.localdate() + timedelta(days=20)
    client.post(url, suggestion(day))
    client.post(url, suggestion(day, time="15:00"))
    client.post(url, suggestion(day, email="bob@example.com"))
    assert DateSuggestion.objects.count() == 3
    assert artisan_emails() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_identical_suggestions_racing_give_one_row(postgres_only):
    workshop = WorkshopFactory()
    url = reverse("privatisation:suggest", args=[workshop.slug])
    data = suggestion(timezone.localdate() + timedelta(days=20))
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def post() -> None:
        try:
            barrier.wait(timeout=30)
            codes.append(Client().post(url, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert codes == [200] * 4
    assert DateSuggestion.objects.count() == 1
    assert artisan_emails() == 1
