import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from bookings.services.artisans import BookingError, artisan_create, artisan_invite
from notifications.models import Notification
from tests.factories import PASSWORD, ArtisanFactory

pytestmark = pytest.mark.django_db


def _link(body: str) -> str:
    return re.search(r"https?://\S+/backoffice/password-reset/\S+/\S+/", body).group(0)


def test_artisan_create_makes_a_user_without_password_and_a_unique_slug():
    first = artisan_create(
        email="Claire@Example.com ", display_name="Atelier Claire", language="fr"
    )
    second = artisan_create(email="other@example.com", display_name="Atelier Claire", language="en")
    assert first.user.email == "Claire@example.com"
    assert not first.user.has_usable_password()
    assert first.slug == "atelier-claire"
    assert second.slug == "atelier-claire-2"


def test_artisan_create_refuses_an_email_already_used():
    artisan_create(email="claire@example.com", display_name="A")
    with pytest.raises(BookingError, match="already exists"):
        artisan_create(email="CLAIRE@example.com", display_name="B")
    assert get_user_model().objects.count() == 1


def test_invitation_is_queued_in_the_artisan_language_with_a_set_password_link(
    django_capture_on_commit_callbacks,
):
    artisan = artisan_create(
        email="claire@example.com", display_name="Atelier Claire", language="fr"
    )
    with django_capture_on_commit_callbacks(execute=False):
        notification = artisan_invite(artisan=artisan)
    assert notification.idempotency_key == f"artisan:{artisan.pk}:invite:1"
    assert notification.recipient == "claire@example.com"
    assert notification.language == "fr"
    assert "Atelier Claire" in notification.subject
    assert "votre espace artisan" in notification.subject
    assert "Choisissez votre mot de passe" in notification.body_text
    assert "/backoffice/password-reset/" in notification.body_text


def test_sending_the_invitation_again_makes_a_new_notification_each_time():
    artisan = artisan_create(email="claire@example.com", display_name="Atelier Claire")
    artisan_invite(artisan=artisan)
    artisan_invite(artisan=artisan)
    keys = sorted(Notification.objects.values_list("idempotency_key", flat=True))
    assert keys == [f"artisan:{artisan.pk}:invite:1", f"artisan:{artisan.pk}:invite:2"]


def test_invited_artisan_sets_a_password_through_the_link_and_signs_in(client):
    artisan = artisan_create(
        email="claire@example.com", display_name="Atelier Claire", language="en"
    )
    notification = artisan_invite(artisan=artisan)
    response = client.get(_link(notification.body_text), follow=True)
    assert response.status_code == 200
    assert response.context["validlink"]
    new_password = "a-fresh-and-long-clay-password"
    done = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert done.url == reverse("backoffice:password_reset_complete")
    assert client.login(
        request=RequestFactory().post("/"), username="claire@example.com", password=new_password
    )


def test_an_invitation_link_cannot_be_used_twice(client):
    artisan = artisan_create(email="claire@example.com", display_name="Atelier Claire")
    link = _link(artisan_invite(artisan=artisan).body_text)
    first = client.get(link, follow=True)
    client.post(
        first.redirect_chain[-1][0],
        {"new_password1": "a-long-new-password-1", "new_password2": "a-long-new-password-1"},
    )
    again = client.get(link, follow=True)
    assert not again.context["validlink"]
    assert "This link no longer works" in again.content.decode()


def test_sign_in_page_links_to_password_reset(client):
    html = client.get(reverse("backoffice:login")).content.decode()
    assert reverse("backoffice:password_reset") in html
    assert "Forgot your password?" in html


def test_password_reset_email_goes_through_the_outbox_in_the_artisan_language(
    client, celery_eager, django_capture_on_commit_callbacks
):
    artisan = ArtisanFactory(
        user__email="potter@example.com", user__username="potter@example.com", language="fr"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("backoffice:password_reset"), {"email": "potter@example.com"}
        )
    assert response.status_code == 302
    assert response.url == reverse("backoffice:password_reset_done")
    notification = Notification.objects.get()
    assert notification.recipient == "potter@example.com"
    assert notification.language == "fr"
    assert notification.idempotency_key.startswith(f"user:{artisan.user.pk}:password-reset:")
    assert "mot de passe" in notification.subject
    assert len(mail.outbox) == 1  # the task sent it
    # The link works and sets a new password.
    follow = client.get(_link(notification.body_text), follow=True)
    client.post(
        follow.redirect_chain[-1][0],
        {"new_password1": "another-long-password-9", "new_password2": "another-long-password-9"},
    )
    assert client.login(
        request=RequestFactory().post("/"),
        username="potter@example.com",
        password="another-long-password-9",
    )
    assert not client.login(
        request=RequestFactory().post("/"), username="potter@example.com", password=PASSWORD
    )


def test_password_reset_also_reaches_an_invited_artisan_without_a_password(client):
    artisan_create(email="new@example.com", display_name="New")
    client.post(reverse("backoffice:password_reset"), {"email": "new@example.com"})
    assert Notification.objects.filter(template="bookings/emails/password_reset").count() == 1


def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(client):
    response = client.post(reverse("backoffice:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert Notification.objects.count() == 0


def test_password_reset_bad_email_is_a_form_error(client):
    response = client.post(reverse("backoffice:password_reset"), {"email": "not an email"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]


def test_password_reset_pages_render_in_french(client):
    html = client.get(
        reverse("backoffice:password_reset"), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Mot de passe oublié ?" in html
