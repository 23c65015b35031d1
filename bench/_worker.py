"""A real Celery worker for bench/bulk_accept.py (its own broker database when Redis is used).

`python bench/_worker.py [celery worker options]`: consumes BENCH_QUEUE (prefork) unless the
options name a queue and pool (the captures worker: `-Q <BENCH_QUEUE>-captures --pool threads`).
With BENCH_DIR set, each capture that charges a payment appends its reference to
BENCH_DIR/captures.log (the duplicate check).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from bookings.models import DevPayment  # noqa: E402
from bookings.payments.dev import DevGateway  # noqa: E402
from config.celery import CAPTURE_TASKS, app  # noqa: E402

QUEUE = os.environ["BENCH_QUEUE"]
app.conf.task_default_queue = QUEUE
app.conf.task_routes = {name: {"queue": f"{QUEUE}-captures"} for name in CAPTURE_TASKS}
settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if os.environ.get("BENCH_DIR"):
    _capture = DevGateway.capture

    def _noting_capture(self, *, reference, **kwargs):
        was = (
            DevPayment.objects.filter(reference=reference).values_list("status", flat=True).first()
        )
        state = _capture(self, reference=reference, **kwargs)
        if was != "succeeded" and state.status == "succeeded":
            with open(os.path.join(os.environ["BENCH_DIR"], "captures.log"), "a") as fh:
                fh.write(f"{reference}\n")
        return state

    DevGateway.capture = _noting_capture

if __name__ == "__main__":
    options = sys.argv[1:]
    defaults = [] if "-Q" in options else ["--pool=prefork", "-Q", QUEUE]
    app.worker_main(["worker", "--loglevel=WARNING", *defaults, *options])
