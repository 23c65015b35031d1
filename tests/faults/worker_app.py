"""The Celery app a fault test's worker subprocess runs (`celery -A tests.faults.worker_app worker`).

It is the project's app with test knobs read from the environment:
- FAULTS_DIR: emails (file backend) and the local SMS log go there;
- FAULTS_VISIBILITY_TIMEOUT: seconds before Redis hands an unacknowledged task (its worker
  died) to another worker (production: an hour; tests: a few seconds);
- FAULTS_BLOCK: "capture-before", "capture-after", "sms-before" or "sms-after": the dev
  gateway's capture / the SMS send writes FAULTS_DIR/reached, then blocks forever, before or
  after the provider call, so the test can SIGKILL the worker at that point.
"""

import os
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from config.celery import app  # noqa: E402, F401 - the app this module exposes

_dir = Path(os.environ["FAULTS_DIR"])
settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
settings.EMAIL_FILE_PATH = str(_dir / "mail")
settings.SMS_LOG_FILE = _dir / "sms.log"
app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "visibility_timeout": int(os.environ.get("FAULTS_VISIBILITY_TIMEOUT", "3")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
app.conf.worker_hijack_root_logger = False

_block = os.environ.get("FAULTS_BLOCK", "")


def _stop_here():
    (_dir / "reached").write_text(str(os.getpid()))
    while True:  # until SIGKILL
        time.sleep(1)


def _wrap(original, *, block: str):
    """Note each capture's idempotency key; stop before or after the call when told."""

    def wrapped(*args, **kwargs):
        if "idempotency_key" in kwargs:  # a capture
            with open(_dir / "captures.log", "a") as fh:
                fh.write(kwargs["idempotency_key"] + "\n")
        if _block == f"{block}-before":
            _stop_here()
        result = original(*args, **kwargs)
        if _block == f"{block}-after":
            _stop_here()
        return result

    return wrapped


from bookings.payments.dev import DevGateway  # noqa: E402
from notifications import channels  # noqa: E402

DevGateway.capture = _wrap(DevGateway.capture, block="capture")
channels.SENDERS["sms"] = _wrap(channels.SENDERS["sms"], block="sms")
