"""Places on bookings pages that the upper apps fill with their own templates.

A bookings template never includes another app's template (imports and templates point one
way: privatisation, pending_orders → bookings). It names a slot instead:

    {% load page_slots %}{% page_slot "workshop_page.aside" %}

and the upper app registers what goes there, in its AppConfig.ready():

    from bookings.page_slots import WORKSHOP_PAGE_ASIDE, page_slots
    page_slots.register(WORKSHOP_PAGE_ASIDE, "privatisation/_workshop_cta.html")

Each registered template renders with the page's context, in registration order; a slot no
app fills renders nothing.
"""

from collections import defaultdict

# Under the dates of the storefront workshop page (the workshop is `workshop`).
WORKSHOP_PAGE_ASIDE = "workshop_page.aside"


class PageSlots:
    def __init__(self):
        self._templates: dict[str, list[str]] = defaultdict(list)

    def register(self, slot: str, template_name: str) -> None:
        if template_name not in self._templates[slot]:
            self._templates[slot].append(template_name)

    def unregister(self, slot: str, template_name: str) -> None:
        if template_name in self._templates[slot]:
            self._templates[slot].remove(template_name)

    def templates(self, slot: str) -> tuple[str, ...]:
        return tuple(self._templates.get(slot, ()))


page_slots = PageSlots()
