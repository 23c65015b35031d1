"""A company's quote: its number, its tax breakdown and the artisan's legal details, fixed at issue.

Called by `privatisation_request_respond` inside its transaction, with the artisan's row locked
(that lock is what keeps two quotes of one artisan from taking the same number).
"""

from dataclasses import dataclass

from notifications.services import Attachment

from ..models import Quote
from ..quote_pdf import quote_pdf

BASIS_POINTS = 10_000  # 2000 bp = 20 %


@dataclass(frozen=True)
class Breakdown:
    net_cents: int
    vat_rate_bp: int | None  # None: VAT not applicable
    vat_cents: int
    total_cents: int


def vat_breakdown(net_cents: int, vat_rate_bp: int | None) -> Breakdown:
    """The one place VAT is computed: on the amount before tax, rounded half up to the cent.

    Integers only (minor units, basis points): 10.01 € at 5.5 % → 0.55 € (0.55055 rounds down),
    0.10 € at 5 % → 0.01 € (0.005 rounds up)."""
    net_cents = int(net_cents)
    if net_cents < 0:
        raise ValueError("an amount before tax is not negative")
    if vat_rate_bp is None:
        return Breakdown(net_cents, None, 0, net_cents)
    vat = (net_cents * int(vat_rate_bp) * 2 + BASIS_POINTS) // (2 * BASIS_POINTS)
    return Breakdown(net_cents, int(vat_rate_bp), vat, net_cents + vat)


def next_quote_reference(artisan, now) -> str:
    """ "D{artisan}-{year}-{n:04d}": in sequence per artisan and year, stable once issued.

    The caller holds the artisan's row lock, so the highest number read here is still the highest."""
    prefix = f"D{artisan.pk}-{now:%Y}-"
    taken = Quote.objects.filter(reference__startswith=prefix).values_list("reference", flat=True)
    numbers = [int(ref[len(prefix) :]) for ref in taken if ref[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def quote_create(*, request, net_cents: int, valid_until, note: str, now) -> Quote:
    """Issue the quote of a company request, with the artisan's VAT settings of today."""
    artisan = request.workshop.artisan
    breakdown = vat_breakdown(net_cents, artisan.vat_rate_bp)
    return Quote.objects.create(
        request=request,
        currency=request.currency,
        valid_until=valid_until,
        note=note.strip(),
        reference=next_quote_reference(artisan, now),
        net_cents=breakdown.net_cents,
        vat_rate_bp=breakdown.vat_rate_bp,
        vat_cents=breakdown.vat_cents,
        amount_cents=breakdown.total_cents,
        # Shown as "VAT not applicable" (in the reader's language) when the artisan wrote no mention.
        vat_exemption_note="" if artisan.subject_to_vat else artisan.vat_exemption_note,
        seller_details=artisan.legal_details(),
    )


def quote_attachments(quote, language: str) -> list[Attachment]:
    """The quote as a PDF for the email that announces it."""
    return [
        Attachment(f"{quote.reference}.pdf", quote_pdf(quote, language=language), "application/pdf")
    ]
