"""Ticket artefacts: QR codes (SVG for pages; the email's PNGs are drawn at send,
`notifications.channels.qr_png`) and the calendar file."""

import io
from datetime import UTC

import segno
from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event


def order_url(order) -> str:
    return settings.SITE_URL + reverse("storefront:order", args=[order.token])


def ticket_qr_svg(code: str) -> str:
    """An inline <svg> of the ticket's QR code (no external file: the page keeps a strict CSP)."""
    buffer = io.BytesIO()
    segno.make(code, error="m").save(
        buffer,
        kind="svg",
        border=2,
        xmldecl=False,
        svgns=True,
        svgclass="qr",
        omitsize=True,
        title="QR code",
    )
    return buffer.getvalue().decode()


def order_ics(order) -> bytes:
    slot, workshop = order.slot, order.slot.workshop
    calendar = Calendar()
    calendar.add("prodid", "-//Atelier//bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"order-{order.reference}@atelier")
    # The same UID with a higher SEQUENCE: calendars replace the event when the date changes.
    event.add("sequence", order.ics_sequence)
    event.add("summary", workshop.title)
    event.add("dtstart", slot.starts_at.astimezone(UTC))
    event.add("dtend", slot.ends_at.astimezone(UTC))
    event.add("dtstamp", order.created_at.astimezone(UTC))
    location = ", ".join(filter(None, [workshop.address, workshop.city]))
    if location:
        event.add("location", location)
    event.add(
        "description", f"{order.reference} · {order.seats} × {workshop.title}\n{order_url(order)}"
    )
    event.add("url", order_url(order))
    calendar.add_component(event)
    return calendar.to_ical()
