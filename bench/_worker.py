"""A real Celery worker for bench/bulk_accept.py (its own broker database when Redis is used)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from config.celery import app  # noqa: E402

app.conf.task_default_queue = os.environ["BENCH_QUEUE"]
settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if __name__ == "__main__":
    app.worker_main(["worker", "--loglevel=WARNING", "--pool=prefork", "-Q", os.environ["BENCH_QUEUE"], *sys.argv[1:]])
