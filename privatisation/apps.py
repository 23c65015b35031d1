from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivatisationConfig(AppConfig):
    name = "privatisation"
    verbose_name = _("Privatisation")
