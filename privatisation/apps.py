from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivatisationConfig(AppConfig):
    name = "privatisation"
    verbose_name = _("Privatisation")

    def ready(self):
        from bookings.hooks import nav_badges, order_hooks, slot_hooks
        from bookings.page_slots import WORKSHOP_PAGE_ASIDE, page_slots
        from bookings.states import OrderSource

        from .context_processors import TO_ANSWER
        from .selectors import to_answer
        from .services.customer import request_paid, request_payment_closed
        from .services.slots import held_slot_claims

        order_hooks.register(
            OrderSource.PRIVATISATION, on_confirmed=request_paid, on_closed=request_payment_closed
        )
        slot_hooks.register("privatisation", claims=held_slot_claims)
        nav_badges.register(TO_ANSWER, rows=to_answer)
        page_slots.register(WORKSHOP_PAGE_ASIDE, "privatisation/_workshop_cta.html")
