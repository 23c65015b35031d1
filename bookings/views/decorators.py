"""View decorators shared by the customer's token pages (bookings and the upper apps)."""

from django.views.decorators.cache import cache_control

# Token pages show a customer's email, phone and ticket codes: no shared cache (proxy, CDN) may
# keep them, and the browser does not store them on disk.
token_page = cache_control(private=True, no_store=True)
