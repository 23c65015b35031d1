from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self):
        from . import checks  # noqa: F401, PLC0415 - registers the start-up checks
        from .hooks import nothing, order_hooks
        from .states import OrderSource

        # Storefront orders have no upper flow to tell.
        order_hooks.register(OrderSource.STOREFRONT, on_confirmed=nothing, on_closed=nothing)
