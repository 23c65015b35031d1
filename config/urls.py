from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from bookings import urls as bookings_urls

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/switch/", views.language_switch, name="language_switch"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("backoffice/orders/pending/", include("pending_orders.urls")),
    path("backoffice/", include((bookings_urls.backoffice_patterns, "backoffice"))),
    path("", include("privatisation.urls")),
    path("", include((bookings_urls.storefront_patterns, "storefront"))),
]

# Uploaded workshop photos under `make run` (only files under MEDIA_ROOT, no listing); in the
# compose stack the proxy serves them and this view answers 404 (SERVE_MEDIA).
urlpatterns.insert(
    0, re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", views.media, name="media")
)
