"""Redis stopped while customers book and send privatisation requests.

A private redis-server plays the broker and the cache (as in production, where both are
Redis). It is stopped; the customers' requests must still succeed, quickly, and leave the
notifications queued. Redis comes back, the sweeper re-publishes, a real worker sends each
notification once.
"""

import time
from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from bookings.models import Order
from bookings.states import OrderStatus
from config.sessions import SESSION_CACHE_SECONDS
from notifications.models import Notification
from notifications.services import notifications_requeue_stuck
from privatisation.models import PrivatisationRequest
from tests.factories import SlotFactory, TicketTypeFactory, WorkshopFactory

from .conftest import wait_for
from .test_worker_killed import _sent_keys

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_cache(private_redis, settings):
    """The cache on the private Redis too (production's configuration)."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    return private_redis


def timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"{args[0]} waited {elapsed:.1f}s on a dead Redis"
    assert response.status_code < 500, f"{args[0]}: {response.status_code}"
    return response


def privatisation_form(day):
    return {
        "kind": "individual",
        "contact_name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": "06 12 34 56 78",
        "participants": "4",
        "message": "A birthday party!",
        "customer_timezone": "Europe/Paris",
        "slots-TOTAL_FORMS": "1",
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "10",
        "slots-0-date": str(day),
        "slots-0-time": "10:00",
    }


def test_customers_book_and_send_requests_while_redis_is_down_and_are_notified_once_it_is_back(
    client, redis_cache, start_worker, faults_dir
):
    workshop = WorkshopFactory(
        slug="pottery", price_cents=4000, private_min_capacity=3, private_max_capacity=10
    )
    slot = SlotFactory(workshop=workshop, capacity=4)
    adult = TicketTypeFactory(workshop=workshop, name="Adult", price_cents=4000)

    redis_cache.stop()

    timed(client.get, reverse("storefront:workshop", args=[workshop.slug]))
    response = timed(
        client.post,
        reverse("storefront:book", args=[slot.workshop.slug, slot.pk]),
        {
            f"qty_{adult.pk}": "2",
            "customer_name": "Ada Lovelace",
            "customer_email": "ada@example.com",
            "customer_phone": "06 12 34 56 78",
        },
    )
    assert response.status_code == 302
    response = timed(client.post, response.url, {"action": "pay"})
    page = timed(client.get, response.url, follow=True)
    order = Order.objects.get()
    assert order.status == OrderStatus.CONFIRMED
    assert order.reference in page.content.decode()

    day = (timezone.now() + timedelta(days=12)).date()
    response = timed(
        client.post,
        reverse("privatisation:request_form", args=[workshop.slug]),
        privatisation_form(day),
    )
    request = PrivatisationRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "privatisation:customer_request", args=[request.token]
    )
    assert "Your request is sent" in timed(client.get, response["Location"]).content.decode()

    queued = Notification.objects.all()
    assert queued.count() >= 3  # order confirmed (email, SMS), request received (customer, artisan)
    assert set(queued.values_list("status", "attempts")) == {("queued", 0)}

    # Redis is back; beat runs the sweeper (every minute); a worker sends.
    redis_cache.start()
    start_worker()
    assert notifications_requeue_stuck(now=timezone.now() + timedelta(minutes=3)) == queued.count()
    assert wait_for(lambda: not Notification.objects.exclude(status="sent").exists(), 30)
    for notification in Notification.objects.all():
        assert notification.attempts == 1, notification.idempotency_key
        assert notification.provider_message_id, notification.idempotency_key
    emails = Notification.objects.filter(channel="email")
    keys = _sent_keys(faults_dir)
    assert sorted(keys) == sorted(emails.values_list("idempotency_key", flat=True))  # each once
    sms = (faults_dir / "sms.log").read_text().splitlines()
    assert len(sms) == Notification.objects.filter(channel="sms").count()
    # A second sweep (beat again) finds nothing to do.
    assert notifications_requeue_stuck(now=timezone.now() + timedelta(minutes=6)) == 0


def test_the_back_office_and_signing_in_and_out_work_while_redis_is_down(
    redis_cache, client, settings
):
    """Sessions are read from Redis first (config/sessions.py): with Redis gone the database
    answers, a sign-out still signs out, a sign-in still signs in."""
    slot = SlotFactory(starts_at=timezone.now() + timedelta(days=3))
    user = slot.workshop.artisan.user
    user.set_password("a long enough password")
    user.save()
    client.force_login(user)
    calendar = reverse("backoffice:calendar")
    assert client.get(calendar).status_code == 200  # the session is in Redis now
    old_key = client.cookies["sessionid"].value
    (cached,) = [k for k in redis.Redis.from_url(redis_cache.url).keys() if old_key.encode() in k]
    assert 0 < redis.Redis.from_url(redis_cache.url).ttl(cached) <= SESSION_CACHE_SECONDS
    redis_cache.stop()
    assert timed(client.get, calendar).status_code == 200
    assert timed(client.post, reverse("backoffice:logout")).status_code == 302
    replay = type(client)()
    replay.cookies["sessionid"] = old_key
    response = timed(replay.get, calendar)
    assert response.status_code == 302 and "login" in response["Location"]
    response = timed(
        client.post,
        reverse("backoffice:login"),
        {"username": user.email, "password": "a long enough password"},
    )
    assert response.status_code == 302
    assert timed(client.get, calendar).status_code == 200
    redis_cache.start()
    assert timed(client.get, calendar).status_code == 200
    assert timed(replay.get, calendar).status_code == 302
