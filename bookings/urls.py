"""Two namespaces: `storefront` (customers, no account) and `backoffice` (artisans)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import backoffice, checkout, payments, storefront

storefront_patterns = [
    path("", storefront.workshop_list, name="home"),
    # Booking, payment, the customer's order (token link).
    path("book/<int:slot_id>/", checkout.book, name="book"),
    path("o/<str:token>/", checkout.order_detail, name="order"),
    path("o/<str:token>/return/", checkout.checkout_return, name="checkout_return"),
    path("o/<str:token>/pay/", checkout.order_pay, name="order_pay"),
    path("o/<str:token>/tickets/", checkout.order_tickets, name="order_tickets"),
    path("o/<str:token>/calendar.ics", checkout.order_calendar, name="order_calendar"),
    path("pay/dev/<str:reference>/", payments.dev_checkout, name="dev_checkout"),
    path("payments/webhook/stripe/", payments.stripe_webhook, name="stripe_webhook"),
]

backoffice_patterns = [
    path("login/", auth_views.LoginView.as_view(template_name="bookings/backoffice/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", backoffice.home, name="home"),
]
