import pytest
from django.core.management import call_command

from privatisation.models import PrivatisationRequest
from privatisation.states import RequestStatus

pytestmark = pytest.mark.django_db


def test_seed_demo_privatisation_is_idempotent():
    call_command("seed_demo")
    call_command("seed_demo_privatisation")
    call_command("seed_demo_privatisation")
    req = PrivatisationRequest.objects.get()
    assert req.status == RequestStatus.PENDING and req.proposed_slots.count() == 3


def test_admin_lists_requests(admin_client):
    call_command("seed_demo")
    call_command("seed_demo_privatisation")
    req = PrivatisationRequest.objects.get()
    assert admin_client.get("/admin/privatisation/privatisationrequest/").status_code == 200
    assert (
        admin_client.get(f"/admin/privatisation/privatisationrequest/{req.pk}/change/").status_code
        == 200
    )
