"""CSV exports a spreadsheet opens safely (participants, pending orders)."""

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
CSV_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """The cell as text, prefixed with `'` when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_DANGEROUS_PREFIXES) else text
