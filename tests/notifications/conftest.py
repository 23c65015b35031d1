import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from notifications import channels

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
WHEN = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def _test_templates(settings):
    """Templates used only by these tests live under tests/notifications/templates."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATES_DIR]
    settings.TEMPLATES = templates


@pytest.fixture
def enqueue_kwargs():
    """Arguments of a typical email; override what a test is about."""

    def make(**overrides):
        kwargs = {
            "channel": "email",
            "recipient": "ada@example.com",
            "template": "notifications_test/emails/greeting",
            "context": {"name": "Ada", "when": WHEN, "message": "See you"},
            "language": "en",
            "key": "test:1:greeting:email",
        }
        return {**kwargs, **overrides}

    return make


class FakeChannel:
    """Stands in for a provider: records each call, fails as told, then succeeds."""

    def __init__(self, failures=()):
        self.failures = list(failures)
        self.sent = []

    def __call__(self, notification):
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(notification.pk)
        return f"fake-{len(self.sent)}"


@pytest.fixture
def fake_channel(monkeypatch):
    """Install a fake sender for both channels; `fake_channel.failures` to make it fail."""
    fake = FakeChannel()
    monkeypatch.setitem(channels.SENDERS, "email", fake)
    monkeypatch.setitem(channels.SENDERS, "sms", fake)
    return fake
