from django.http import HttpResponse
from django.test import RequestFactory

from bookings.ratelimit import ratelimit_post


@ratelimit_post("test-form", rate="2/m")
def view(request):
    return HttpResponse("ok")


def test_public_form_refuses_posts_over_the_limit_with_a_friendly_429():
    rf = RequestFactory()
    assert view(rf.post("/", REMOTE_ADDR="10.0.0.1")).status_code == 200
    assert view(rf.post("/", REMOTE_ADDR="10.0.0.1")).status_code == 200
    refused = view(rf.post("/", REMOTE_ADDR="10.0.0.1"))
    assert refused.status_code == 429
    assert b"Please wait" in refused.content
    # Another client is not affected; reading the page is never limited.
    assert view(rf.post("/", REMOTE_ADDR="10.0.0.2")).status_code == 200
    assert view(rf.get("/", REMOTE_ADDR="10.0.0.1")).status_code == 200
