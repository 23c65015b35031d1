from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PendingOrdersConfig(AppConfig):
    name = "pending_orders"
    verbose_name = _("Pending orders")
