"""Sessions read from the cache and written through to the database, that a Redis outage does
not break.

Django's `cached_db` store falls back to the database when the cache cannot be read, but then
writes the row back to the cache unguarded, and deletes from the cache unguarded: with Redis
down, every signed-in page and every sign-out would be a 500. Here every cache call is
guarded (the database stays the truth), and a session stays in the cache
SESSION_CACHE_SECONDS at most, so a sign-out that could not reach Redis lets that session be
read from a Redis that comes back for five minutes at the most, never for the session's age.
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore

logger = logging.getLogger(__name__)

SESSION_CACHE_SECONDS = 300


class SessionStore(CachedDBStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # noqa: BLE001 - any cache failure: read the database
            data = None
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        self._cache_set(data, self.get_expiry_age(expiry=row.expire_date))
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:  # noqa: BLE001 - any cache failure: ask the database
            pass
        return DBStore.exists(self, session_key)

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        self._cache_set(self._session, self.get_expiry_age())

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:  # noqa: BLE001 - the row is gone; the cached copy ends by itself
            logger.warning("Cache unavailable: session signed out in the database only")

    def _cache_set(self, data, age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, min(age, SESSION_CACHE_SECONDS))
        except Exception:  # noqa: BLE001 - the database has it
            logger.warning("Cache unavailable: session kept in the database only")
