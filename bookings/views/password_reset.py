"""Django's password-reset views, dressed for the back-office (the emails go through the outbox)."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from ..forms.password_reset import ArtisanPasswordResetForm
from ..ratelimit import ratelimit_post

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
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="bookings/backoffice/password_reset_confirm.html",
    success_url=reverse_lazy("backoffice:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="bookings/backoffice/password_reset_complete.html",
)
