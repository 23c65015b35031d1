"""A fake `stripe.HTTPClient`: the real `stripe` library runs, only the HTTP layer is replaced
by recorded responses in the shapes Stripe's API documents."""

import copy
import json
import time
from urllib.parse import parse_qs, urlsplit

import stripe

CAPTURE_BEFORE = 1_900_000_000  # 2030-03-17


def checkout_session(**overrides):
    body = {
        "id": "cs_test_a1B2c3",
        "object": "checkout.session",
        "amount_total": 8000,
        "currency": "eur",
        "customer_email": "ada@example.com",
        "livemode": False,
        "metadata": {"order_id": "1", "reference": "ABCD2345"},
        "mode": "payment",
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        "url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3#fid",
    }
    body.update(overrides)
    return body


def charge(**card):
    return {
        "id": "ch_3PabcDEF",
        "object": "charge",
        "amount": 8000,
        "captured": False,
        "currency": "eur",
        "payment_method_details": {
            "type": "card",
            "card": {"brand": "visa", "last4": "4242", "capture_before": CAPTURE_BEFORE, **card},
        },
        "status": "succeeded",
    }


def payment_intent(status="succeeded", **overrides):
    body = {
        "id": "pi_3PabcDEF",
        "object": "payment_intent",
        "amount": 8000,
        "amount_capturable": 8000 if status == "requires_capture" else 0,
        "amount_received": 8000 if status == "succeeded" else 0,
        "capture_method": "manual" if status == "requires_capture" else "automatic",
        "currency": "eur",
        "last_payment_error": None,
        "latest_charge": charge(),
        "livemode": False,
        "metadata": {"order_id": "1", "reference": "ABCD2345"},
        "status": status,
    }
    body.update(overrides)
    return body


def refund(**overrides):
    body = {
        "id": "re_3PabcDEF",
        "object": "refund",
        "amount": 8000,
        "currency": "eur",
        "payment_intent": "pi_3PabcDEF",
        "status": "succeeded",
    }
    body.update(overrides)
    return body


def error(type_, message, code="", status=400, **extra):
    return status, {"error": {"type": type_, "message": message, "code": code, **extra}}


class FakeStripeHTTP(stripe.HTTPClient):
    """Answers (method, path) with queued responses; records every request."""

    name = "fake"

    def __init__(self):
        super().__init__()
        self.routes: dict[tuple[str, str], list] = {}
        self.calls: list[dict] = []

    def on(
        self, method: str, path: str, body=None, status: int = 200, raises: Exception | None = None
    ):
        self.routes.setdefault((method.upper(), path), []).append(
            (status, copy.deepcopy(body), raises)
        )
        return self

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        params = parse_qs(
            post_data.decode() if isinstance(post_data, bytes) else (post_data or parts.query)
        )
        self.calls.append(
            {
                "method": method.upper(),
                "url": url,
                "path": parts.path,
                "headers": dict(headers or {}),
                "params": params,
            }
        )
        queue = self.routes.get((method.upper(), parts.path))
        if not queue:
            raise AssertionError(f"unexpected Stripe call {method} {parts.path}")
        status, body, raises = queue.pop(0) if len(queue) > 1 else queue[0]
        if raises is not None:
            raise raises
        return (
            json.dumps(body),
            status,
            {"Request-Id": "req_fake", "Content-Type": "application/json"},
        )

    def close(self):
        pass


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = timestamp or int(time.time())
    signature = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{payload.decode()}", secret
    )
    return f"t={timestamp},v1={signature}"


def event(type_: str, obj: dict, event_id: str = "evt_1PabcDEF") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "type": type_,
        }
    ).encode()
