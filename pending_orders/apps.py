from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PendingOrdersConfig(AppConfig):
    name = "pending_orders"
    verbose_name = _("Pending orders")

    def ready(self):
        from bookings.hooks import nav_badges

        from .context_processors import WAITING
        from .selectors import pending_orders_waiting

        nav_badges.register(WAITING, rows=pending_orders_waiting)
