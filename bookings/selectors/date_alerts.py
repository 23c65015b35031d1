"""Reads of date alerts ("tell me when new dates open")."""

import hmac

from ..models import DateAlert


def date_alert_for_token(token: str) -> DateAlert | None:
    """The subscription of a confirm or unsubscribe link, or None (unknown or malformed token)."""
    if not 20 <= len(token) <= 64:
        return None
    alert = DateAlert.objects.select_related("workshop").filter(token=token).first()
    if alert is None or not hmac.compare_digest(alert.token, token):
        return None
    return alert
