"""The company quote as a one-page A4 PDF (ReportLab: pure Python, no system libraries).

The same facts as the printable page (templates/privatisation/quote.html), laid out for a PDF
attached to the quote email. Money and dates go through the site's Babel formatting.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bookings.formatting import format_when
from bookings.templatetags.atelier import format_money

from .quote_facts import quote_facts


def _text(value) -> str:
    """Escaped for ReportLab's mini-markup; narrow no-break spaces (CLDR French) → no-break space,
    which the standard PDF fonts have."""
    return escape(str(value or "")).replace("\u202f", "\u00a0").replace("\n", "<br/>")


def quote_pdf(quote, *, language: str) -> bytes:
    with translation.override(language):
        return _build(quote)


def _build(quote) -> bytes:
    facts = quote_facts(quote)
    req, workshop = quote.request, quote.request.workshop
    tz = workshop.tzinfo
    styles = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=styles["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12.5
    )
    small = ParagraphStyle(
        "small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#555555")
    )
    title = ParagraphStyle(
        "title", parent=styles["Title"], fontName="Helvetica-Bold", fontSize=18, alignment=0
    )
    head = ParagraphStyle("head", parent=body, fontName="Helvetica-Bold", fontSize=10)

    def money(cents):
        return _text(format_money(cents, quote.currency))

    def when(value, style):
        return _text(format_when(value.astimezone(tz), style))

    seller = facts["seller"]
    seller_lines = [f"<b>{_text(seller['name'])}</b>", _text(seller["address"])]
    if seller["company_number"]:
        seller_lines.append(
            _text(_("SIRET / company number: %(number)s") % {"number": seller["company_number"]})
        )
    if seller["vat_number"]:
        seller_lines.append(_text(_("VAT number: %(number)s") % {"number": seller["vat_number"]}))
    seller_lines.append(_text(" · ".join(v for v in (seller["email"], seller["phone"]) if v)))
    buyer_lines = [
        f"<b>{_text(req.company_name)}</b>",
        _text(req.contact_name),
        _text(req.email),
        _text(req.billing_details),
    ]

    story = [
        Paragraph(_text(_("Quote %(ref)s") % {"ref": quote.reference}), title),
        Paragraph(
            _text(
                _("Issued on %(date)s")
                % {"date": format_when(quote.created_at.astimezone(tz), "full_month_date")}
            )
            + " · "
            + _text(
                _("Valid until %(date)s")
                % {"date": format_when(quote.valid_until.astimezone(tz), "full_month_date")}
            ),
            body,
        ),
        Spacer(1, 5 * mm),
    ]
    parties = Table(
        [
            [Paragraph(_text(_("From")), head), Paragraph(_text(_("For")), head)],
            [
                Paragraph("<br/>".join(x for x in seller_lines if x), body),
                Paragraph("<br/>".join(x for x in buyer_lines if x), body),
            ],
        ],
        colWidths=[85 * mm, 85 * mm],
    )
    parties.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    story += [parties, Spacer(1, 6 * mm)]

    description = ngettext(
        "Private session “%(title)s” for %(count)s participant",
        "Private session “%(title)s” for %(count)s participants",
        req.participants,
    ) % {"title": workshop.title, "count": req.participants}
    slots = "<br/>".join(when(o.slot.starts_at, "long_datetime") for o in facts["offers"])
    rows = [
        [Paragraph(_text(_("Description")), head), Paragraph(_text(_("Amount before tax")), head)],
        [
            Paragraph(
                f"{_text(description)}<br/><font size=8>{slots}<br/>"
                f"{_text(_('One of these slots, chosen when the quote is accepted.'))}</font>",
                body,
            ),
            Paragraph(money(facts["net_cents"]), body),
        ],
        [Paragraph(_text(_("Total before tax")), body), Paragraph(money(facts["net_cents"]), body)],
        [Paragraph(_text(facts["vat_label"]), body), Paragraph(money(facts["vat_cents"]), body)],
        [
            Paragraph(f"<b>{_text(_('Total to pay'))}</b>", body),
            Paragraph(f"<b>{money(facts['total_cents'])}</b>", body),
        ],
    ]
    table = Table(rows, colWidths=[130 * mm, 40 * mm])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, 1), 0.4, colors.HexColor("#999999")),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        )
    )
    story += [table, Spacer(1, 5 * mm)]
    if quote.note:
        story.append(Paragraph(_text(quote.note), body))
    story += (
        [Spacer(1, 4 * mm), Paragraph(_text(facts["legal_mention"]), small)]
        if facts["legal_mention"]
        else []
    )

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("Quote %(ref)s") % {"ref": quote.reference},
        author=seller["name"],
    )
    doc.build(story)
    return buffer.getvalue()
