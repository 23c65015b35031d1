from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self):
        from .hooks import nothing, order_hooks
        from .states import OrderSource

        # Storefront orders have no upper flow to tell.
        order_hooks.register(OrderSource.STOREFRONT, on_confirmed=nothing, on_closed=nothing)
