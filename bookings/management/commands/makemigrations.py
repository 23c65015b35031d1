"""Django's `makemigrations`, without the production-configuration checks (bookings/checks.py:
the payment provider and the secret key). Writing or checking migrations serves no request and
signs nothing, so a fresh checkout runs `manage.py makemigrations --check` with no environment.

It runs the checks of every other tag (models, database, urls, templates, …). Checks registered
without a tag (two configuration checks of third-party apps, about serving too) run with every
other command, as the production checks do."""

from django.core.checks.registry import registry
from django.core.management.commands import makemigrations

from ...checks import PRODUCTION


class Command(makemigrations.Command):
    def check(self, *args, tags=None, **kwargs):
        if tags is None:
            tags = sorted(registry.tags_available() - {PRODUCTION})
        return super().check(*args, tags=tags, **kwargs)
