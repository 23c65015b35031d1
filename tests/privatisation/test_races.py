"""Parallel clients on PostgreSQL: two answers for the same time never both hold it."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from privatisation.models import Offer
from privatisation.services.errors import PrivatisationError
from privatisation.services.respond import privatisation_request_respond
from tests.factories import WorkshopFactory, privatisation_submit


@pytest.mark.django_db(transaction=True)
def test_two_requests_answered_at_once_for_the_same_time_hold_it_once(postgres_only):
    workshop = WorkshopFactory()
    start = (timezone.now() + timedelta(days=12)).replace(minute=0, second=0, microsecond=0)
    requests = [privatisation_submit(workshop, starts=[start]) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def answer(req):
        try:
            barrier.wait()
            privatisation_request_respond(
                artisan=workshop.artisan,
                request_id=req.pk,
                accept_proposed_ids=[req.proposed_slots.get().pk],
                offer_starts=[],
                message="Yes",
            )
            outcomes.append("ok")
        except PrivatisationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Offer.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_expiry_job_run_concurrently_expires_each_request_once(postgres_only):
    from notifications.models import Notification
    from privatisation.models import PrivatisationRequest
    from privatisation.services.deadlines import privatisation_expire_overdue

    workshop = WorkshopFactory()
    requests = [privatisation_submit(workshop) for _ in range(30)]
    later = max(r.respond_by for r in requests) + timedelta(seconds=1)
    barrier = threading.Barrier(3)
    counts = []

    def run():
        try:
            barrier.wait()
            counts.append(privatisation_expire_overdue(now=later, batch_size=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 30
    assert not PrivatisationRequest.objects.exclude(status="expired").exists()
    assert (
        Notification.objects.filter(
            idempotency_key__contains=":expired_unanswered:customer:email"
        ).count()
        == 30
    )
