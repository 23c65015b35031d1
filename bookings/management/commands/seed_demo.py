"""Demo data for `make run`: an artisan, an ops login, workshops, ticket types, slots.

Idempotent: running it again changes nothing that is already there.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from bookings.models import Artisan, Slot, TicketType, Workshop

DEMO_PASSWORD = "atelier-demo"

WORKSHOPS = [
    {
        "slug": "wheel-throwing-initiation",
        "title": "Wheel-throwing initiation",
        "city": "Paris",
        "address": "12 rue des Potiers, 75011 Paris",
        "description": (
            "Centre the clay, open it, raise your first bowl. "
            "You leave with two pieces, fired and glazed within three weeks."
        ),
        "practical_info": "Wear clothes that can get muddy. Aprons and tools are provided.",
        "price_cents": 6500,
        "duration_minutes": 150,
        "default_capacity": 6,
        "privatisation_enabled": True,
        "private_min_capacity": 4,
        "private_max_capacity": 10,
        "hours": [(10, 0), (15, 0)],
    },
    {
        "slug": "sourdough-bread-morning",
        "title": "Sourdough bread morning",
        "city": "Lyon",
        "address": "3 quai Saint-Vincent, 69001 Lyon",
        "description": "Knead, shape and bake a sourdough loaf. Take home your bread and a jar of starter.",
        "practical_info": "Breakfast included. Tell us about allergies.",
        "price_cents": 4500,
        "duration_minutes": 180,
        "default_capacity": 8,
        "privatisation_enabled": True,
        "private_min_capacity": 3,
        "private_max_capacity": 8,
        "hours": [(9, 0)],
    },
    {
        "slug": "natural-perfume-creation",
        "title": "Create your natural perfume",
        "city": "Grasse",
        "address": "5 place aux Aires, 06130 Grasse",
        "description": "Discover the olfactory pyramid and compose a 30 ml eau de parfum from natural raw materials.",
        "practical_info": "Not suitable for pregnant women. Ages 12 and up.",
        "price_cents": 8900,
        "duration_minutes": 120,
        "default_capacity": 10,
        "privatisation_enabled": False,
        "private_min_capacity": 1,
        "private_max_capacity": 10,
        "hours": [(14, 30)],
    },
]


class Command(BaseCommand):
    help = "Load the demo data (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        ops, created = User.objects.get_or_create(
            username="ops@atelier.local",
            defaults={"email": "ops@atelier.local", "is_staff": True, "is_superuser": True},
        )
        if created:
            ops.set_password(DEMO_PASSWORD)
            ops.save()
        user, created = User.objects.get_or_create(
            username="claire@atelier.local",
            defaults={"email": "claire@atelier.local", "first_name": "Claire"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        artisan, _ = Artisan.objects.get_or_create(
            user=user,
            defaults={
                "display_name": "Atelier Claire Dubois",
                "slug": "claire-dubois",
                "phone": "+33612345678",
                "language": "fr",
                "bio": "Potter, baker and perfumer in love with things made by hand.",
            },
        )
        today = timezone.localdate()
        for spec in WORKSHOPS:
            spec = dict(spec)
            hours = spec.pop("hours")
            workshop, created = Workshop.objects.get_or_create(
                slug=spec["slug"], defaults={**spec, "artisan": artisan, "is_published": True}
            )
            if not created:
                continue
            TicketType.objects.create(
                workshop=workshop, name="Adult", price_cents=workshop.price_cents, position=0
            )
            TicketType.objects.create(
                workshop=workshop,
                name="Adult — on request",
                description="The artisan confirms your place first; your card is charged only then.",
                price_cents=workshop.price_cents,
                requires_confirmation=True,
                position=1,
            )
            tz = workshop.tzinfo
            for day in range(2, 43, 3):
                date = today + timedelta(days=day)
                for hour, minute in hours:
                    starts = datetime.combine(date, time(hour, minute), tzinfo=tz)
                    Slot.objects.create(
                        workshop=workshop,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=workshop.duration_minutes),
                        capacity=workshop.default_capacity,
                    )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
