"""`{% page_slot "name" %}`: what the upper apps registered for that place (bookings/page_slots.py)."""

from django import template
from django.utils.safestring import mark_safe

from ..page_slots import page_slots

register = template.Library()


@register.simple_tag(takes_context=True)
def page_slot(context, name: str) -> str:
    """Render every template registered for `name` with the page's context (as an include would)."""
    engine = context.template.engine
    # Each template escapes its own output, as an {% include %} does.
    return mark_safe(
        "".join(engine.get_template(t).render(context) for t in page_slots.templates(name))
    )  # noqa: S308
