"""Two pending orders on the demo artisan's confirm-first ticket, authorised on the dev gateway.

Idempotent: if the demo customers already have their orders, nothing changes. Run after
`seed_demo` (the Makefile's DEMO_COMMANDS does).
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings.models import Order, Slot, TicketType
from bookings.states import SlotKind, SlotStatus
from pending_orders.demo import authorised_order

CUSTOMERS = [
    ("Inès Martin", "ines.martin@example.com", 2, "fr"),
    ("Tom Baker", "tom.baker@example.com", 1, "en"),
]


class Command(BaseCommand):
    help = "Demo pending orders (confirm-first tickets, card authorised on the dev gateway)."

    def handle(self, *args, **options):
        ticket_type = (
            TicketType.objects.filter(
                requires_confirmation=True, is_active=True, workshop__artisan__slug="claire-dubois"
            )
            .select_related("workshop")
            .order_by("workshop__title", "pk")
            .first()
        )
        if ticket_type is None:
            self.stdout.write(
                self.style.WARNING(
                    "No confirm-first ticket on the demo artisan: run seed_demo first."
                )
            )
            return
        slot = (
            Slot.objects.filter(
                workshop=ticket_type.workshop,
                kind=SlotKind.PUBLIC,
                status=SlotStatus.OPEN,
                starts_at__gt=timezone.now(),
            )
            .order_by("starts_at")
            .first()
        )
        if slot is None:
            self.stdout.write(self.style.WARNING("No open session to book."))
            return
        made = 0
        for name, email, seats, language in CUSTOMERS:
            if Order.objects.filter(customer_email=email, requires_confirmation=True).exists():
                continue
            authorised_order(
                slot=slot,
                ticket_type=ticket_type,
                customer_name=name,
                customer_email=email,
                seats=seats,
                language=language,
            )
            made += 1
        self.stdout.write(self.style.SUCCESS(f"Demo pending orders ready ({made} new)."))
