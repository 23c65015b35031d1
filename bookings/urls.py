"""Two namespaces: `storefront` (customers, no account) and `backoffice` (artisans)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import backoffice, password_reset, storefront

storefront_patterns = [
    path("", storefront.workshop_list, name="home"),
    path("w/<slug:slug>/", storefront.workshop_detail, name="workshop"),
]

backoffice_patterns = [
    path("login/", auth_views.LoginView.as_view(template_name="bookings/backoffice/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset (and the invitation link an artisan receives: the same confirm page).
    path("password-reset/", password_reset.password_reset, name="password_reset"),
    path("password-reset/sent/", password_reset.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        password_reset.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", password_reset.password_reset_complete, name="password_reset_complete"),
    path("", backoffice.home, name="home"),
]
