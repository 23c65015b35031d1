"""Demo data: a pending privatisation request to answer on the demo artisan's first
privatisable workshop. Idempotent: run it again and nothing changes."""

from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings.models import Workshop
from privatisation.models import PrivatisationRequest
from privatisation.services.submit import Contact, privatisation_request_submit
from privatisation.states import OPEN_STATUSES

DEMO_EMAIL = "camille.martin@example.com"


class Command(BaseCommand):
    help = "Load the privatisation demo data (idempotent)."

    def handle(self, *args, **options):
        workshop = (
            Workshop.objects.filter(
                artisan__user__username="claire@atelier.local",
                privatisation_enabled=True,
                is_published=True,
            )
            .order_by("pk")
            .first()
        )
        if workshop is None:
            self.stdout.write("No privatisable demo workshop (run seed_demo first).")
            return
        if PrivatisationRequest.objects.filter(
            workshop=workshop, email=DEMO_EMAIL, status__in=OPEN_STATUSES
        ).exists():
            self.stdout.write("Privatisation demo data already there.")
            return
        today = timezone.localdate(timezone=workshop.tzinfo)
        starts = [
            datetime.combine(today + timedelta(days=days), time(hour, 0), tzinfo=workshop.tzinfo)
            for days, hour in ((9, 14), (10, 10), (16, 11))
        ]
        privatisation_request_submit(
            workshop_id=workshop.pk,
            contact=Contact(
                name="Camille Martin",
                email=DEMO_EMAIL,
                phone="+33698765432",
                language="fr",
                timezone=workshop.timezone,
            ),
            participants=6,
            starts=starts,
            message="Bonjour ! Nous fêtons les 30 ans d'une amie et aimerions privatiser l'atelier pour six personnes.",
        )
        self.stdout.write(self.style.SUCCESS("Privatisation demo data ready."))
