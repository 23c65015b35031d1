from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.static import serve


@never_cache
def healthz(request):
    """200 when the database answers; what a load balancer and docker health checks call."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def media(request, path):
    """Uploaded files (workshop photos), only from under MEDIA_ROOT, no directory listing."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
