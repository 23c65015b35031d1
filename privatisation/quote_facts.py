"""What a company quote states, read once for its printable page and its PDF."""

from django.utils.translation import gettext as _

from bookings.formatting import vat_rate_label


def quote_facts(quote) -> dict:
    """Amounts before tax, VAT and total, the VAT line's label, the seller's details and the slots.

    A quote issued before VAT was recorded (no `net_cents`) shows its total only, as issued."""
    seller = quote.seller_details or quote.request.workshop.artisan.legal_details()
    recorded = quote.net_cents is not None
    net = quote.net_cents if recorded else quote.amount_cents
    if quote.vat_rate_bp is not None:
        vat_label = _("VAT %(rate)s") % {"rate": vat_rate_label(quote.vat_rate_bp)}
        legal_mention = ""
    else:
        vat_label = _("VAT")
        legal_mention = quote.vat_exemption_note or _("VAT not applicable")
    return {
        "seller": seller,
        "net_cents": net,
        "vat_cents": quote.vat_cents if recorded else 0,
        "total_cents": quote.amount_cents,
        "vat_label": vat_label,
        "legal_mention": legal_mention,
        "offers": list(quote.request.offers.select_related("slot").order_by("slot__starts_at")),
    }
