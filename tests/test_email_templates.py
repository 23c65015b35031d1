"""Every email template, in French and English, rendered by the outbox as it is sent.

Templates are discovered by walking templates/**/emails/: a new email is checked without
being listed here. Each is rendered with a realistic context (rows made by the factories and
the services) and must give an HTML part on the shared layout, a plain-text part that is not
empty, and only absolute links (to SITE_URL) in the HTML, the text and the SMS.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from bookings.selectors.tickets import order_url as order_url_of
from notifications.services import notification_enqueue
from privatisation.services import notify
from privatisation.services.customer import privatisation_message_post
from privatisation.services.respond import privatisation_request_respond
from privatisation.services.suggestions import date_suggestion_submit
from privatisation.states import MessageAuthor
from tests.factories import (
    ArtisanFactory,
    OrderLineFactory,
    PendingOrderFactory,
    SlotFactory,
    WorkshopFactory,
    privatisation_submit,
)

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SITE = "https://atelier.example"
LAYOUT = '{% extends "notifications/email_base.html" %}'


def _email_templates() -> list[str]:
    names = {
        str(path.relative_to(TEMPLATES)).removesuffix(".subject.txt")
        for path in TEMPLATES.glob("**/emails/*.subject.txt")
    }
    return sorted(names)


def _sms_templates() -> list[str]:
    return sorted(
        str(p.relative_to(TEMPLATES)).removesuffix(".sms.txt")
        for p in TEMPLATES.glob("**/emails/*.sms.txt")
    )


@pytest.fixture
def contexts(settings):
    """One realistic context per app, built from real rows."""
    settings.SITE_URL = SITE
    artisan = ArtisanFactory(display_name="Claire O'Brien & fils")
    workshop = WorkshopFactory(
        artisan=artisan, privatisation_enabled=True, practical_info="Bring an apron."
    )
    slot = SlotFactory(workshop=workshop)
    order = PendingOrderFactory(slot=slot, decide_by=timezone.now() + timedelta(days=2))
    line = OrderLineFactory(order=order)
    order_url = order_url_of(order)
    list_url = SITE + reverse("pending_orders:list")
    bookings = {
        "order": order,
        "slot": slot,
        "workshop": workshop,
        "lines": [line],
        "order_url": order_url,
        "tickets": [{"label": "Adult", "code": "T0000001-1"}],
        "reason": "The kiln broke.",
        "was_paid": True,
        "artisan": artisan,
        "user": artisan.user,
        "valid_days": 3,
        "link": SITE + reverse("backoffice:login") + "?next=/",
        "login_url": SITE + reverse("backoffice:login"),
        # changes (issue #11): moves, cancelled dates, the artisan told.
        "previous_slot": SlotFactory(workshop=workshop),
        "choose_by": timezone.now() + timedelta(days=14),
        "change": "moved",
        "participants_url": SITE + reverse("backoffice:slot_participants", args=[slot.pk]),
    }
    pending = {
        **bookings,
        "message": "Fully booked, sorry.",
        "orders": [order],
        "waiting": 1,
        "list_url": list_url,
        "pay_by": timezone.now() + timedelta(days=1),
        "pay_url": order_url,
    }
    req = privatisation_submit(workshop)
    privatisation_request_respond(
        artisan=artisan,
        request_id=req.pk,
        accept_proposed_ids=[req.proposed_slots.first().pk],
        offer_starts=[],
        message="Happy to host you.",
        quote=None,
    )
    req.refresh_from_db()
    message = privatisation_message_post(
        request_id=req.pk, author=MessageAuthor.CUSTOMER, body="Can we bring a cake?"
    )
    suggestion = date_suggestion_submit(
        workshop_id=workshop.pk,
        starts_at=slot.starts_at + timedelta(days=30),
        name="Ada",
        email="ada@example.com",
        message="A Saturday?",
        language="en",
    )
    privatisation = notify._context(
        req,
        offer=req.offers.select_related("slot").first(),
        answer="Happy to host you.",
        quote=None,
        message=message,
        suggestion=suggestion,
    )
    return {"bookings": bookings, "pending_orders": pending, "privatisation": privatisation}


def _absolute_links(text: str) -> list[str]:
    """The links of a body that are not absolute URLs to the site (should be none)."""
    hrefs = re.findall(r'href="([^"]*)"', text)
    urls = re.findall(r"https?://[^\s\"'<>]+", text)
    relative = re.findall(r"(?:^|\s)(/[\w\-./?=&%]*)", text)
    return (
        [h for h in hrefs if not h.startswith(SITE)]
        + [u for u in urls if not u.startswith(SITE)]
        + relative
    )


def test_the_walk_finds_every_apps_emails():
    apps = {name.split("/")[0] for name in _email_templates()}
    assert apps == {"bookings", "pending_orders", "privatisation"}
    assert len(_email_templates()) >= 25


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("template", _email_templates())
def test_every_email_is_html_on_the_layout_with_a_text_part_and_absolute_links(
    contexts, template, language
):
    source = (TEMPLATES / f"{template}.html").read_text(encoding="utf-8")
    assert source.startswith(LAYOUT), f"{template}.html must extend the shared layout"
    row = notification_enqueue(
        channel="email",
        recipient="someone@example.com",
        template=template,
        context=contexts[template.split("/")[0]],
        language=language,
        key=f"test:{template}:{language}",
    )
    assert row.subject.strip()
    assert f'<html lang="{language}">' in row.body_html and 'class="card"' in row.body_html
    content = row.body_html.split('<td class="content">', 1)[1].split('<td class="footer"', 1)[0]
    assert re.sub(r"<[^>]+>|\s", "", content), f"{template}: empty HTML content"
    assert row.body_text.strip(), f"{template}: empty plain-text part"
    assert _absolute_links(row.body_html) == [], template
    assert _absolute_links(row.body_text) == [], template


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("template", _sms_templates())
def test_every_sms_has_text_and_only_absolute_links(contexts, template, language):
    row = notification_enqueue(
        channel="sms",
        recipient="+33611223344",
        template=template,
        context=contexts[template.split("/")[0]],
        language=language,
        key=f"test:{template}:{language}:sms",
    )
    assert row.body_text.strip()
    assert _absolute_links(row.body_text) == [], template
