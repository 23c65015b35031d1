from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivatisationConfig(AppConfig):
    name = "privatisation"
    verbose_name = _("Privatisation")

    def ready(self):
        from bookings.hooks import order_hooks, slot_hooks
        from bookings.page_slots import WORKSHOP_PAGE_ASIDE, page_slots
        from bookings.states import OrderSource

        from .services.customer import request_paid, request_payment_closed
        from .services.slots import held_slot_claims

        order_hooks.register(
            OrderSource.PRIVATISATION, on_confirmed=request_paid, on_closed=request_payment_closed
        )
        slot_hooks.register("privatisation", claims=held_slot_claims)
        page_slots.register(WORKSHOP_PAGE_ASIDE, "privatisation/_workshop_cta.html")
