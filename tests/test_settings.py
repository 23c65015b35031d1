"""Production configuration: deploy checks, every variable documented, the compose file."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "config" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"


def production_env(**overrides):
    # A clean environment, as a container gets: nothing inherited from the test run.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(
        ATELIER_TESTING="0",
        DJANGO_DEBUG="false",
        DJANGO_SECURE="true",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="atelier.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://atelier.example.com",
        SITE_URL="https://atelier.example.com",
        DATABASE_URL="postgres://atelier:secret@postgres:5432/atelier",
        REDIS_URL="redis://redis:6379/0",
        # A real payment provider, as production has (the dev gateway is refused without one).
        STRIPE_SECRET_KEY="sk_live_" + secrets.token_urlsafe(24),
        STRIPE_WEBHOOK_SECRET="whsec_" + secrets.token_urlsafe(24),
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_fail_without_the_security_settings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(DJANGO_SECURE="false")
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no HTTPS redirect


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=production_env(DJANGO_SECRET_KEY=None))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def variables_read_in_settings() -> set[str]:
    source = SETTINGS.read_text(encoding="utf-8")
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    names |= set(re.findall(r"os\.environ(?:\.get)?[\[(]\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    names |= set(re.findall(r"os\.getenv\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    return names


def variables_in_env_example() -> set[str]:
    # Active lines and documented-but-commented ones ("# DATABASE_URL=…") both count.
    return set(
        re.findall(
            r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE
        )
    )


def test_every_variable_read_in_settings_is_in_env_example():
    read = variables_read_in_settings()
    assert len(read) > 20  # the pattern still finds them
    missing = read - variables_in_env_example()
    assert not missing, f"add to .env.example (with a comment): {sorted(missing)}"


def test_every_variable_in_env_example_has_a_comment():
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            # A comment above it, possibly above a group of related variables.
            above = next(
                (
                    lines[j]
                    for j in range(i - 1, -1, -1)
                    if not re.match(r"^[A-Z][A-Z0-9_]*=", lines[j])
                ),
                "",
            )
            assert above.startswith("#") and not above.startswith("# ---"), f"no comment for {line}"


# --- docker-compose.yml (no Docker engine here: `docker compose config` is run by hand) ------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_has_the_production_services_each_with_a_health_check(compose):
    services = compose["services"]
    assert set(services) == {
        "proxy",
        "web",
        "worker",
        "captures",
        "beat",
        "migrate",
        "postgres",
        "redis",
    }
    for name, service in services.items():
        if name != "migrate":  # a one-off job: it exits
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert "gunicorn" in services["web"]["command"]
    assert "celery -A config worker" in services["worker"]["command"]
    assert "celery -A config beat" in services["beat"]["command"]
    # Captures wait on the provider: their own queue, a thread pool (config/celery.py).
    assert (
        "-Q captures" in services["captures"]["command"]
        and "--pool=threads" in services["captures"]["command"]
    )
    for name in ("web", "worker", "captures", "beat", "migrate"):
        assert services[name]["env_file"] == ".env"
        assert "media:/app/var/media" in services[name]["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert {"postgres-data", "media"} <= set(compose["volumes"])


def test_migrations_run_once_before_web_worker_and_beat_start(compose):
    services = compose["services"]
    assert "migrate" in services["migrate"]["command"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert "migrate" not in services[name]["command"], f"{name} still migrates"
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def test_the_proxy_serves_media_from_the_volume_and_django_does_not(compose):
    proxy = compose["services"]["proxy"]
    assert "media:/srv/media:ro" in proxy["volumes"]
    conf_mount = next(
        v for v in proxy["volumes"] if v.endswith(":/etc/nginx/conf.d/default.conf:ro")
    )
    conf = (ROOT / conf_mount.split(":")[0]).read_text(encoding="utf-8")
    assert re.search(r"location /media/ \{\s*alias /srv/media/;", conf)
    assert "proxy_pass http://web:8000;" in conf
    assert "ports" not in compose["services"]["web"]  # reached through the proxy only
    assert compose["x-app"]["environment"]["DJANGO_SERVE_MEDIA"] == "false"


def _python_check(compose, service):
    test = compose["services"][service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    return test[3]


@pytest.mark.django_db(transaction=True)
def test_the_web_health_check_passes_against_a_running_server(compose, live_server, monkeypatch):
    code = _python_check(compose, "web").replace("http://127.0.0.1:8000", live_server.url)
    monkeypatch.delenv("DJANGO_ALLOWED_HOSTS", raising=False)
    with pytest.raises(SystemExit) as exit_:
        exec(compile(code, "healthcheck", "exec"), {})  # noqa: S102 - our own compose file
    assert exit_.value.code == 0


def test_the_beat_health_check_is_valid_python(compose):
    compile(_python_check(compose, "beat"), "healthcheck", "exec")


def test_the_dockerfile_runs_as_a_non_root_user_and_builds_what_production_needs():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "USER atelier" in dockerfile
    # Runtime dependencies only, from the lock (versions and hashes), then the project alone.
    assert "pip install --require-hashes --no-deps -r requirements/prod.txt" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert "python -m config.compile_translations" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert "gunicorn" in dockerfile


def test_compose_gunicorn_does_not_trust_forwarded_headers_from_everyone(compose):
    web = compose["services"]["web"]
    assert (
        "forwarded-allow-ips '*'" not in web["command"]
        and 'forwarded-allow-ips "*"' not in web["command"]
    )
    # web publishes no port (the nginx proxy reaches it on the compose network); the proxy is
    # published on one interface (the local TLS terminator's), not on all of them.
    assert "ports" not in web
    assert all(
        port.startswith("${ATELIER_HTTP_BIND:-127.0.0.1}:")
        for port in compose["services"]["proxy"]["ports"]
    )


def test_production_and_the_benches_serve_the_app_with_one_gunicorn_config(compose, monkeypatch):
    """config/gunicorn.py is what the Dockerfile, compose and the benches start gunicorn with;
    gunicorn accepts every setting in it, and a worker takes no more connections than it has
    threads to answer (the kernel's queue, shared by the workers, is fairer: README)."""
    from gunicorn.config import Config

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("WEB_THREADS", "6")
    values = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    config = Config()
    for name, value in values.items():
        if not name.startswith("_") and name != "os":
            config.set(name, value)  # an unknown setting raises
    assert config.worker_class_str == "gthread" and config.workers == 3
    assert config.threads == 6 and config.worker_connections == 6 and config.keepalive == 0
    assert config.preload_app and config.wsgi_app == "config.wsgi:application"
    assert compose["services"]["web"]["command"].startswith("gunicorn -c config/gunicorn.py ")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert '"gunicorn", "-c", "config/gunicorn.py"' in dockerfile
    for bench in ("booking.py", "pages.py"):
        assert '"config/gunicorn.py"' in (ROOT / "bench" / bench).read_text(encoding="utf-8")
