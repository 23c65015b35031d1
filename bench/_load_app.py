"""The app bench/load.py runs: gunicorn imports `application`, the worker `app`.

Tasks go to a queue of the run's own (BENCH_QUEUE) on the Redis given by REDIS_URL, so no
other worker eats them. Emails stay in memory, SMS go to a log under BENCH_DIR, and every
successful send appends its notification key to BENCH_DIR/sent.log (the duplicate check).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from config.celery import app  # noqa: E402
from notifications import channels  # noqa: E402

BENCH_DIR = Path(os.environ["BENCH_DIR"])
app.conf.task_default_queue = os.environ["BENCH_QUEUE"]
settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
settings.SMS_LOG_FILE = BENCH_DIR / "sms.log"


def _noting(send):
    def sent(notification):
        message_id = send(notification)
        with open(BENCH_DIR / "sent.log", "a") as fh:
            fh.write(f"{notification.idempotency_key}\n")
        return message_id

    return sent


for _channel, _send in list(channels.SENDERS.items()):
    channels.SENDERS[_channel] = _noting(_send)

application = get_wsgi_application()
