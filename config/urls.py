from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from bookings import urls as bookings_urls

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/switch/", views.language_switch, name="language_switch"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("backoffice/", include((bookings_urls.backoffice_patterns, "backoffice"))),
    path("", include((bookings_urls.storefront_patterns, "storefront"))),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
