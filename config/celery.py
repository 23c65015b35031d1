"""The Celery app and the beat schedule.

Locally (no REDIS_URL) the broker is kombu's filesystem transport, so `make run` starts a
real worker and a real beat without any server. With REDIS_URL set, Redis is the broker.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("atelier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Captures and releases wait on the payment provider (hundreds of ms each, no CPU): they go to
# a queue of their own, consumed by a worker with a thread pool (Procfile.dev, docker-compose.yml;
# README "Captures in parallel"), so 500 accepted orders are charged 32 at a time while the
# default worker (prefork: hard time limits for email/SMS sends) keeps sending.
CAPTURES_QUEUE = "captures"
CAPTURE_TASKS = (
    "pending_orders.tasks.capture_orders",
    "pending_orders.tasks.capture_order",
    "pending_orders.tasks.release_authorisation",
    "bookings.tasks.settle_order_payment",
)
app.conf.task_routes = {name: {"queue": CAPTURES_QUEUE} for name in CAPTURE_TASKS}

# Every periodic job lives here, in one table. Each job is idempotent and safe to run twice.
app.conf.beat_schedule = {
    "notifications-requeue-stuck": {
        "task": "notifications.tasks.requeue_stuck",
        "schedule": 60.0,
    },
    "bookings-release-lapsed-holds": {
        "task": "bookings.tasks.release_lapsed_holds",
        "schedule": 60.0,
    },
    "privatisation-expire-overdue": {
        "task": "privatisation.tasks.expire_overdue",
        "schedule": 60.0,
    },
    "privatisation-send-reminders": {
        "task": "privatisation.tasks.send_reminders",
        "schedule": 300.0,
    },
    "pending-orders-expire-overdue": {
        "task": "pending_orders.tasks.expire_overdue",
        "schedule": 60.0,
    },
    "pending-orders-send-reminders": {
        "task": "pending_orders.tasks.send_reminders",
        "schedule": 300.0,
    },
    "pending-orders-digest": {
        "task": "pending_orders.tasks.send_digests",
        "schedule": crontab(minute="*/15"),
    },
    # Date alerts ("tell me when new dates open"): at most one email a day per subscription.
    "bookings-send-date-alerts": {
        "task": "bookings.tasks.send_date_alerts",
        "schedule": 300.0,
    },
    # changes (issue #11): a cancelled date's customers who did not choose are refunded.
    "bookings-refund-unchosen-orders": {
        "task": "bookings.tasks.refund_unchosen_orders",
        "schedule": 300.0,
    },
    # Minimum participants and customer reminders (issue 11).
    "bookings-check-minimum-participants": {
        "task": "bookings.tasks.check_minimum_participants",
        "schedule": 60.0,
    },
    "bookings-send-order-reminders": {
        "task": "bookings.tasks.send_order_reminders",
        "schedule": 300.0,
    },
    # Gift cards: emailed on their send day, expired ones closed.
    "bookings-giftcards-sweep": {
        "task": "bookings.tasks.giftcards_sweep",
        "schedule": 300.0,
    },
}
