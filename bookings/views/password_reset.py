"""Django's sign-in and password-reset views, dressed for the back-office (the emails go through
the outbox)."""

from axes.utils import reset as axes_reset
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from ..forms.password_reset import ArtisanPasswordResetForm
from ..forms.sign_in import SignInForm
from ..ratelimit import ratelimit_post

# django-axes locks a username + address after AXES_FAILURE_LIMIT failures; this limits every
# sign-in from one address across usernames (password spraying).
sign_in = ratelimit_post("sign-in", rate_setting="RATE_LIMIT_SIGN_IN")(
    auth_views.LoginView.as_view(
        template_name="bookings/backoffice/login.html", authentication_form=SignInForm
    )
)

password_reset = ratelimit_post("password-reset")(
    auth_views.PasswordResetView.as_view(
        form_class=ArtisanPasswordResetForm,
        template_name="bookings/backoffice/password_reset_form.html",
        success_url=reverse_lazy("backoffice:password_reset_done"),
    )
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="bookings/backoffice/password_reset_done.html",
)


class ArtisanPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "bookings/backoffice/password_reset_confirm.html"
    success_url = reverse_lazy("backoffice:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The lockout page tells a locked-out artisan to reset the password: a reset lifts it.
        axes_reset(username=form.user.get_username())
        return response


password_reset_confirm = ArtisanPasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="bookings/backoffice/password_reset_complete.html",
)
