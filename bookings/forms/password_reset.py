"""Password reset for artisans: Django's form, the email sent through the notifications outbox."""

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation

from ..services.artisans import password_reset_link_enqueue


class ArtisanPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        """Active users with this email; invited artisans (no password yet) included.

        Django skips users without a usable password; an artisan who lost the invitation
        must still be able to set one from the "forgot your password" page.
        """
        User = get_user_model()
        users = User._default_manager.filter(email__iexact=email, is_active=True).select_related(
            "artisan"
        )
        for user in users:
            if user.has_usable_password() or hasattr(user, "artisan"):
                yield user

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        artisan = getattr(user, "artisan", None)
        language = artisan.language if artisan else (translation.get_language() or "en")
        password_reset_link_enqueue(user=user, token=context["token"], language=language)
