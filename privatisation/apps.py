from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivatisationConfig(AppConfig):
    name = "privatisation"
    verbose_name = _("Privatisation")

    def ready(self):
        from bookings.hooks import order_hooks
        from bookings.page_slots import WORKSHOP_PAGE_ASIDE, page_slots

        from .services.customer import request_paid, request_payment_closed

        order_hooks.register("privatisation", on_confirmed=request_paid, on_closed=request_payment_closed)
        page_slots.register(WORKSHOP_PAGE_ASIDE, "privatisation/_workshop_cta.html")
