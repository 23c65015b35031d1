# Atelier — the production image: web (gunicorn), worker and beat (celery) all run from it.
#   docker compose build && docker compose up -d      (see docker-compose.yml and .env.example)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings

WORKDIR /app

RUN groupadd --system --gid 10001 atelier \
    && useradd --system --uid 10001 --gid atelier --home-dir /app --no-create-home atelier

# Dependencies first (the runtime lock, versions and hashes pinned), so a code change does
# not reinstall them; then the project itself, which brings no dependency of its own.
COPY requirements/prod.txt requirements/prod.txt
RUN pip install --require-hashes --no-deps -r requirements/prod.txt
COPY pyproject.toml ./
RUN pip install --no-deps . && pip check

COPY . .

# Translations (.po -> .mo with polib) and static files (hashed, compressed for whitenoise).
# Settings need no secret or service to build: the defaults are enough for these two steps.
RUN python -m config.compile_translations \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p var/media var/beat \
    && chown -R atelier:atelier var

USER atelier

EXPOSE 8000

# gunicorn's settings are in config/gunicorn.py (gthread: WEB_CONCURRENCY processes of
# WEB_THREADS threads, 3 × 4 by default; the benches serve the app with the same file).
CMD ["gunicorn", "-c", "config/gunicorn.py", "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
