from django.urls import path

from . import views

app_name = "pending_orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("action/", views.order_action, name="action"),
    path("decisions/<int:pk>/", views.batch_detail, name="batch"),
    path("<int:pk>/retry/", views.order_retry, name="retry"),
]
