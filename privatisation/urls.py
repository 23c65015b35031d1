from django.urls import path

from . import views

app_name = "privatisation"

urlpatterns = [
    # Customers (no account: the token is the key).
    path("workshops/<slug:slug>/privatise/", views.request_form, name="request_form"),
    path("workshops/<slug:slug>/privatise/price/", views.price, name="price"),
    path("workshops/<slug:slug>/suggest-a-date/", views.suggest_form, name="suggest"),
    path("privatisation/<str:token>/", views.customer_request, name="customer_request"),
    path("privatisation/<str:token>/withdraw/", views.customer_withdraw, name="customer_withdraw"),
    path("privatisation/<str:token>/choose/", views.customer_choose, name="customer_choose"),
    path(
        "privatisation/<str:token>/paid/",
        views.customer_payment_return,
        name="customer_payment_return",
    ),
    path("privatisation/<str:token>/message/", views.customer_message, name="customer_message"),
    path("privatisation/<str:token>/quote/", views.quote_print, name="quote"),
    path("privatisation/<str:token>/quote.pdf", views.quote_download, name="quote_pdf"),
    # Artisans.
    path("backoffice/privatisation/", views.backoffice_list, name="list"),
    path("backoffice/privatisation/<int:pk>/", views.backoffice_manage, name="manage"),
    path(
        "backoffice/privatisation/link/<str:signature>/", views.manage_signed, name="manage_signed"
    ),
    path(
        "backoffice/suggestions/<int:pk>/<str:decision>/",
        views.suggestion_decide,
        name="suggestion_decide",
    ),
]
