"""factory-boy factories shared by every test package."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from bookings.models import Artisan, Order, OrderLine, Slot, TicketType, Workshop
from bookings.states import OrderStatus

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"artisan{n}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.django.Password(PASSWORD)


class ArtisanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artisan

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Atelier {n}")
    slug = factory.Sequence(lambda n: f"atelier-{n}")
    phone = "+33612345678"
    language = "en"


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop

    artisan = factory.SubFactory(ArtisanFactory)
    title = factory.Sequence(lambda n: f"Pottery wheel {n}")
    slug = factory.Sequence(lambda n: f"pottery-wheel-{n}")
    description = "Learn to throw a bowl."
    city = "Paris"
    price_cents = 5000
    currency = "EUR"
    duration_minutes = 120
    default_capacity = 8
    is_published = True
    privatisation_enabled = True
    private_min_capacity = 3
    private_max_capacity = 10


class TicketTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketType

    workshop = factory.SubFactory(WorkshopFactory)
    name = "Adult"
    price_cents = factory.SelfAttribute("workshop.price_cents")
    requires_confirmation = False


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    workshop = factory.SubFactory(WorkshopFactory)
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + timedelta(minutes=o.workshop.duration_minutes)
    )
    capacity = 8


# The statuses in which an order made by the services holds its seats.
SEAT_HOLDING = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.CONFIRMED,
    OrderStatus.CAPTURING,
    OrderStatus.CAPTURE_FAILED,
)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    slot = factory.SubFactory(SlotFactory)
    reference = factory.Sequence(lambda n: f"T{n:07d}")
    status = OrderStatus.CONFIRMED
    customer_name = "Ada Lovelace"
    customer_email = factory.Sequence(lambda n: f"customer{n}@example.com")
    customer_phone = "+33611223344"
    language = "en"
    seats = 1
    total_cents = factory.LazyAttribute(lambda o: o.seats * o.slot.workshop.price_cents)
    currency = "EUR"
    # Orders that hold seats count in their slot, as the booking services keep it (the seat invariant).
    holds_seats = factory.LazyAttribute(lambda o: o.status in SEAT_HOLDING)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        order = super()._create(model_class, *args, **kwargs)
        if order.holds_seats:
            Slot.objects.filter(pk=order.slot_id).update(seats_taken=F("seats_taken") + order.seats)
            order.slot.refresh_from_db(fields=["seats_taken"])
        return order


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    label = "Adult"
    quantity = 1
    unit_price_cents = 5000


# --- privatisation ------------------------------------------------------------------------------


_privreq_seq = __import__("itertools").count(1)


def privatisation_submit(
    workshop,
    *,
    starts=None,
    participants=4,
    email=None,
    kind="individual",
    company_name="",
    now=None,
    message="We are a team of friends.",
):
    """Submit a request through the service (the only way rows are made in real life)."""
    from privatisation.services.submit import Contact, privatisation_request_submit

    now = now or timezone.now()
    if starts is None:
        base = (
            (now + timedelta(days=10))
            .astimezone(workshop.tzinfo)
            .replace(hour=10, minute=0, second=0, microsecond=0)
        )
        starts = [base, base + timedelta(days=1), base + timedelta(days=2)]
    contact = Contact(
        name="Grace Hopper",
        email=email or f"grace{next(_privreq_seq)}@example.com",
        phone="+33611223344",
        language="en",
        timezone="Europe/Paris",
        kind=kind,
        company_name=company_name,
    )
    return privatisation_request_submit(
        workshop_id=workshop.pk,
        contact=contact,
        participants=participants,
        starts=starts,
        message=message,
        now=now,
    )


# --- pending_orders ---------------------------------------------------------------------------


class ConfirmFirstTicketTypeFactory(TicketTypeFactory):
    name = "Adult — on request"
    requires_confirmation = True


class PendingOrderFactory(OrderFactory):
    """A confirm-first order whose card is authorised, waiting for the artisan."""

    class Meta:
        skip_postgeneration_save = True

    status = OrderStatus.AWAITING_CONFIRMATION
    requires_confirmation = True
    payment_provider = "dev"
    payment_intent_id = factory.Sequence(lambda n: f"pi_pending_{n}")
    authorisation_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    decide_by = factory.LazyFunction(lambda: timezone.now() + timedelta(days=4))

    @factory.post_generation
    def line(obj, create, extracted, **kwargs):
        if not create:
            return
        ticket_type = TicketType.objects.filter(
            workshop=obj.slot.workshop, requires_confirmation=True
        ).first()
        if ticket_type is None:
            ticket_type = ConfirmFirstTicketTypeFactory(workshop=obj.slot.workshop)
        OrderLine.objects.create(
            order=obj,
            ticket_type=ticket_type,
            label=ticket_type.name,
            quantity=obj.seats,
            unit_price_cents=ticket_type.price_cents,
        )
