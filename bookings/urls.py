"""Two namespaces: `storefront` (customers, no account) and `backoffice` (artisans)."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic.base import RedirectView

from .views import (
    backoffice,
    changes,
    checkin,
    checkout,
    checkout_leave,
    date_alerts,
    giftcards,
    minimum,
    orders,
    password_reset,
    payments,
    storefront,
)

storefront_patterns = [
    path("", storefront.workshop_list, name="home"),
    # One tree per workshop: its page, booking one of its slots (privatisation adds its own).
    path("workshops/<slug:slug>/", storefront.workshop_detail, name="workshop"),
    path("workshops/<slug:slug>/book/<int:slot_id>/", checkout.book, name="book"),
    # The addresses of the first release, still in sent emails and bookmarks: 301 to the tree.
    path(
        "w/<slug:slug>/",
        RedirectView.as_view(pattern_name="storefront:workshop", permanent=True, query_string=True),
        name="workshop_old",
    ),
    path("book/<int:slot_id>/", checkout.book_redirect, name="book_old"),
    # Payment, the customer's order (token link).
    path("o/<str:token>/", checkout.order_detail, name="order"),
    path("o/<str:token>/return/", checkout.checkout_return, name="checkout_return"),
    path("o/<str:token>/pay/", checkout.order_pay, name="order_pay"),
    path("o/<str:token>/tickets/", checkout.order_tickets, name="order_tickets"),
    path("o/<str:token>/calendar.ics", checkout.order_calendar, name="order_calendar"),
    path("pay/dev/<str:reference>/", payments.dev_checkout, name="dev_checkout"),
    path("payments/webhook/stripe/", payments.stripe_webhook, name="stripe_webhook"),
    # Date alerts ("tell me when new dates open"): the form, then the token links of its emails.
    path(
        "workshops/<slug:slug>/alerts/",
        date_alerts.date_alert_subscribe_view,
        name="date_alert_subscribe",
    ),
    path(
        "alerts/<str:token>/confirm/",
        date_alerts.date_alert_confirm_view,
        name="date_alert_confirm",
    ),
    path(
        "alerts/<str:token>/unsubscribe/",
        date_alerts.date_alert_unsubscribe_view,
        name="date_alert_unsubscribe",
    ),
    # Safety: leaving the payment page gives the seats back at once.
    path("o/<str:token>/leave/", checkout_leave.checkout_leave, name="checkout_leave"),
    # changes (issue #11): the customer moves, cancels or withdraws from the order's token link.
    path("o/<str:token>/move/", changes.order_move, name="order_move"),
    path(
        "o/<str:token>/move/<int:slot_id>/", changes.order_move_confirm, name="order_move_confirm"
    ),
    path("o/<str:token>/cancel/", changes.order_cancel_view, name="order_cancel"),
    path("o/<str:token>/withdraw/", changes.order_withdraw_view, name="order_withdraw"),
    path("o/<str:token>/gift-card/", changes.order_gift_card_view, name="order_gift_card"),
    # Gift cards: buy, the return from payment, the printable card (token link), the balance.
    path("gift-cards/", giftcards.giftcard_buy, name="giftcard_buy"),
    path("gift-cards/balance/", giftcards.giftcard_balance, name="giftcard_balance"),
    path("gift-cards/c/<str:token>/", giftcards.giftcard_print, name="giftcard_print"),
    path("gift-cards/c/<str:token>/return/", giftcards.giftcard_return, name="giftcard_return"),
]

backoffice_patterns = [
    path("login/", password_reset.sign_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset (and the invitation link an artisan receives: the same confirm page).
    path("password-reset/", password_reset.password_reset, name="password_reset"),
    path("password-reset/sent/", password_reset.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        password_reset.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        password_reset.password_reset_complete,
        name="password_reset_complete",
    ),
    path("", backoffice.home, name="home"),
    path("calendar/", backoffice.calendar_view, name="calendar"),
    path("slots/new/", backoffice.slot_create, name="slot_create"),
    path(
        "slots/<int:slot_id>/participants/",
        backoffice.slot_participants_view,
        name="slot_participants",
    ),
    path("slots/<int:slot_id>/edit/", backoffice.slot_edit, name="slot_edit"),
    path("slots/<int:slot_id>/cancel/", backoffice.slot_cancel_view, name="slot_cancel"),
    path("slots/<int:slot_id>/delete/", backoffice.slot_delete_view, name="slot_delete"),
    path("activity/", backoffice.activity, name="activity"),
    path("activity/new/", backoffice.workshop_create, name="workshop_create"),
    path("activity/settings/", backoffice.activity_settings, name="activity_settings"),
    path("activity/<int:workshop_id>/", backoffice.workshop_edit, name="workshop_edit"),
    # Check-in: scanning tickets at the door (issue #11).
    path("slots/<int:slot_id>/check-in/", checkin.slot_check_in, name="slot_check_in"),
    path(
        "slots/<int:slot_id>/check-in/<int:ticket_id>/undo/",
        checkin.slot_check_in_undo,
        name="slot_check_in_undo",
    ),
    # Minimum participants: the artisan's signed link (no sign-in) to uphold or cancel a slot.
    path("minimum/<str:signature>/", minimum.minimum_decide, name="minimum_decide"),
    # Orders (issue #11): every order of the artisan's workshops, one order's page and its actions.
    path("orders/", orders.order_list, name="orders"),
    path("orders/<str:reference>/", orders.order_detail, name="order"),
    path("orders/<str:reference>/move/", orders.order_move, name="order_move"),
    path("orders/<str:reference>/cancel/", orders.order_cancel_view, name="order_cancel"),
    path("orders/<str:reference>/resend/", orders.order_resend, name="order_resend"),
]
