"""Jinja2 for the agent app: the i18n extension answering in each request's language, the filters every
page uses, and `page(...)`, which renders a template with what every page needs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from linka import __version__
from linka.core import clock
from linka.core.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from linka.core.permissions import Actor
from linka.entrypoints.web.auth import translator_for
from linka.entrypoints.web.chats_view import system_text as chat_system_text
from linka.entrypoints.web.labels import system_line
from linka.entrypoints.web.navigation import navigation

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@pass_context
def _gettext(context: Context, message: str) -> str:
    translator: Translator = context["t"]
    return translator.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    translator: Translator = context["t"]
    return translator.ngettext(singular, plural, n)


def configure_environment(engine: JinjaTemplateEngine) -> None:
    env: Environment = engine.engine
    env.add_extension("jinja2.ext.i18n")
    # newstyle: {{ _("%(n)s tickets", n=3) }} escapes and formats safely; plurals take `num`.
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals["app_version"] = __version__
    env.globals["system_line"] = system_line
    env.globals["chat_system_text"] = chat_system_text


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=TEMPLATE_DIR, engine=JinjaTemplateEngine, engine_callback=configure_environment
    )


def page(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    actor: Actor | None,
    translator: Translator | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    """Renders a page (or an htmx fragment) with the actor, its translator and the navigation."""
    translator = translator or translator_for(request, actor)
    return Template(
        template_name=template,
        context={
            "actor": actor,
            "t": translator,
            "lang": translator.language,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            "nav": navigation(actor) if actor else [],
            "now": clock.now(),
            "htmx": request.headers.get("hx-request") == "true",
            "path": request.url.path,
            "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **(context or {}),
        },
        status_code=status_code,
        headers=headers,
    )
