"""What `make run` prints before starting: where to go and how to sign in."""

import os

PORT = os.environ.get("ATELIER_PORT", "8000")
BASE = f"http://127.0.0.1:{PORT}"
# `make run` sets SITE_URL from ATELIER_PORT unless it is given: the links in emails and SMS.
SITE_URL = os.environ.get("SITE_URL", BASE)

print(
    f"""
  Atelier is starting (web + Celery worker + Celery beat). Ctrl-C stops all of it.

  Storefront   {BASE}/
  Back-office  {BASE}/backoffice/      artisan: claire@atelier.local / atelier-demo
  Admin        {BASE}/admin/           ops:     ops@atelier.local / atelier-demo
  Email links  {SITE_URL}/
  Local mail   var/mail/   SMS: var/sms.log   (also listed in admin → Notifications)
  Database     {os.environ.get("DATABASE_URL") or "SQLite file var/db.sqlite3"}
  Broker       {os.environ.get("REDIS_URL") or "filesystem broker in var/celery (no server)"}
"""
)
