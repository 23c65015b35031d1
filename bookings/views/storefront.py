from django.shortcuts import render

from ..models import Workshop


def workshop_list(request):
    workshops = Workshop.objects.filter(is_published=True).select_related("artisan")
    return render(request, "bookings/storefront/workshop_list.html", {"workshops": workshops})
