"""Work Django leaves to the first requests, done once when the web process loads the app.

The URL resolver, both languages' catalogs and every template would otherwise be built by
the first requests each worker serves; with gunicorn's `--preload` they are built once in
the master and the forked workers share them (no worker spends its first seconds compiling
while customers wait).
"""

import logging
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)


def warm() -> None:
    if settings.DEBUG:  # templates are read again on each request anyway
        return
    get_resolver().url_patterns  # noqa: B018 - imports every urls module
    get_resolver()._populate()  # the reverse() tables
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Calendar")  # loads the language's catalogs
    for engine in engines.all():
        for name in _template_names(engine):
            try:
                engine.get_template(name)
            except (TemplateDoesNotExist, TemplateSyntaxError):  # a fragment for another engine
                logger.debug("Template %s not warmed", name)


def _template_names(engine) -> list[str]:
    names = []
    for directory in map(Path, engine.template_dirs):
        names += [
            str(path.relative_to(directory))
            for path in sorted(directory.rglob("*.html"))
            if path.is_file()
        ]
    return names
