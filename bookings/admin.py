from django.contrib import admin

from .models import Artisan, Slot, TicketType, Workshop

admin.site.register(Artisan)
admin.site.register(Workshop)
admin.site.register(TicketType)
admin.site.register(Slot)
