"""A stand-in view for the tests: a request that changes something and notifies."""

from django.db import transaction
from django.http import HttpResponse
from django.urls import path

from notifications.services import notification_enqueue
from tests.notifications.conftest import WHEN


def notify_view(request):
    with transaction.atomic():
        notification = notification_enqueue(
            channel="email",
            recipient="ada@example.com",
            template="notifications_test/emails/greeting",
            context={"name": "Ada", "when": WHEN, "message": "hi"},
            language="en",
            key=f"view:{request.GET['n']}:email",
        )
    return HttpResponse(str(notification.pk))


urlpatterns = [path("notify", notify_view)]
