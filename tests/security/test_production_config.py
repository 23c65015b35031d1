"""Production must never run with the dev payment gateway or the repository's dev secret key."""

import os

import pytest
from django.conf import settings
from django.urls import reverse

from bookings.models import DevPayment, Order
from bookings.payments import PaymentUnavailable, get_gateway
from tests.factories import SlotFactory, TicketTypeFactory
from tests.test_settings import manage, production_env

NO_PROVIDER = {
    "STRIPE_SECRET_KEY": None,
    "STRIPE_WEBHOOK_SECRET": None,
    "PAYMENTS_DEV_GATEWAY": None,
}


def test_deploy_check_fails_without_a_payment_provider_and_names_both_variables():
    result = manage("check", "--deploy", env=production_env(**NO_PROVIDER))
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY" in result.stderr and "PAYMENTS_DEV_GATEWAY" in result.stderr


def test_start_up_check_fails_without_a_payment_provider():
    # Not only --deploy: `migrate` (run before gunicorn starts) runs the same checks.
    result = manage("check", env=production_env(**NO_PROVIDER))
    assert result.returncode != 0
    assert "atelier.E001" in result.stderr


def test_an_explicit_dev_gateway_passes_the_deploy_checks():
    env = production_env(**{**NO_PROVIDER, "PAYMENTS_DEV_GATEWAY": "true"})
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_runs_the_dev_gateway_without_any_variable():
    env = production_env(
        **NO_PROVIDER, DJANGO_DEBUG="true", DJANGO_SECURE="false", DJANGO_SECRET_KEY=None
    )
    result = manage("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_repository_dev_secret_key_is_refused_without_debug():
    env = production_env(DJANGO_SECURE="false", DJANGO_SECRET_KEY=None)
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr and "atelier.E002" in result.stderr


def test_the_dev_secret_key_given_explicitly_is_refused_too():
    env = production_env(DJANGO_SECURE="false", DJANGO_SECRET_KEY=settings.DEV_SECRET_KEY)
    assert manage("check", env=env).returncode != 0


@pytest.mark.django_db
def test_dev_checkout_answers_404_when_the_dev_gateway_is_off(client, settings):
    slot = SlotFactory(capacity=4)
    adult = TicketTypeFactory(workshop=slot.workshop, price_cents=4000)
    data = {
        f"qty_{adult.pk}": "1",
        "customer_name": "Ada",
        "customer_email": "ada@example.com",
        "customer_phone": "06 12 34 56 78",
    }
    client.post(reverse("storefront:book", args=[slot.workshop.slug, slot.pk]), data)
    payment = DevPayment.objects.get()
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENTS_DEV_GATEWAY = False
    url = reverse("storefront:dev_checkout", args=[payment.reference])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "pay"}).status_code == 404
    assert Order.objects.get().status == "pending_payment"


def test_no_gateway_is_handed_out_when_neither_is_configured(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.PAYMENTS_DEV_GATEWAY = False
    with pytest.raises(PaymentUnavailable):
        get_gateway()
    with pytest.raises(PaymentUnavailable):
        get_gateway("dev")


def test_makemigrations_check_runs_in_a_fresh_checkout_with_no_environment():
    # What a fresh clone has: no variable set at all. Models and migrations agree, and the
    # production checks (they guard serving) do not stop the command that writes migrations.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    result = manage("makemigrations", "--check", "--dry-run", env={**env, "ATELIER_TESTING": "0"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    # The same environment is still refused where it would serve.
    served = manage("check", env={**env, "ATELIER_TESTING": "0"})
    assert served.returncode != 0 and "atelier.E002" in served.stderr
