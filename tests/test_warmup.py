"""config/warmup.py: what the web process builds before gunicorn forks its workers (--preload)."""

import runpy
from pathlib import Path

from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader
from django.test import override_settings

from config import warmup

ROOT = Path(__file__).resolve().parent.parent


def _cached_loader() -> CachedLoader:
    """The engine's cached loader (django-template-partials wraps it in its own)."""
    loaders = list(engines["django"].engine.template_loaders)
    while loaders:
        loader = loaders.pop()
        if isinstance(loader, CachedLoader):
            return loader
        loaders += getattr(loader, "loaders", [])
    raise AssertionError("the templates are not cached: the warm-up would be lost")


def test_the_warm_up_compiles_every_template_of_the_project_once():
    loader = _cached_loader()
    loader.reset()
    warmup.warm()
    cached = set(loader.get_template_cache)
    ours = {
        str(path.relative_to(ROOT / "templates")) for path in (ROOT / "templates").rglob("*.html")
    }
    assert ours <= cached, sorted(ours - cached)[:5]


def test_the_warm_up_is_skipped_with_debug_on(monkeypatch):
    calls = []
    monkeypatch.setattr(warmup, "get_resolver", lambda: calls.append("urls"))
    with override_settings(DEBUG=True):
        warmup.warm()
    assert not calls


def test_production_serves_the_warmed_app_preloaded():
    compose = (ROOT / "docker-compose.yml").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    # Both start gunicorn with config/gunicorn.py, which preloads the app before forking.
    assert "-c config/gunicorn.py" in compose and '"-c", "config/gunicorn.py"' in dockerfile
    assert runpy.run_path(str(ROOT / "config" / "gunicorn.py"))["preload_app"] is True
    assert "warm()" in (ROOT / "config" / "wsgi.py").read_text()
