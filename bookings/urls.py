"""Two namespaces: `storefront` (customers, no account) and `backoffice` (artisans)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import backoffice, storefront

storefront_patterns = [
    path("", storefront.workshop_list, name="home"),
]

backoffice_patterns = [
    path("login/", auth_views.LoginView.as_view(template_name="bookings/backoffice/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", backoffice.home, name="home"),
]
