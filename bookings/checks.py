"""Start-up checks (run by `manage.py check`, `migrate` and `runserver`): production must not run
with the dev payment gateway by accident, nor with the repository's public secret key.

They carry the PRODUCTION tag: `makemigrations`, which writes code and serves nothing, leaves them
out (bookings/management/commands/makemigrations.py); every other command runs them."""

from django.conf import settings
from django.core.checks import Error, register

PRODUCTION = "atelier_production"


@register(PRODUCTION)
def payment_provider_check(app_configs=None, **kwargs):
    if settings.DEBUG or settings.STRIPE_SECRET_KEY or settings.PAYMENTS_DEV_GATEWAY:
        return []
    return [
        Error(
            "No payment provider: without STRIPE_SECRET_KEY the local dev gateway would confirm orders "
            "for free.",
            hint="Set STRIPE_SECRET_KEY, or PAYMENTS_DEV_GATEWAY=true on a demo or staging site only.",
            id="atelier.E001",
        )
    ]


@register(PRODUCTION)
def secret_key_check(app_configs=None, **kwargs):
    if settings.DEBUG or settings.TESTING or settings.SECRET_KEY != settings.DEV_SECRET_KEY:
        return []
    return [
        Error(
            "DJANGO_SECRET_KEY is the repository's development key: anyone can forge signed links with it.",
            hint='Set DJANGO_SECRET_KEY to a long random value (python -c "import secrets; '
            'print(secrets.token_urlsafe(64))").',
            id="atelier.E002",
        )
    ]
