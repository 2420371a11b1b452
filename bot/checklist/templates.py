"""Checklist templates: the built-in ones and custom YAML files from RELEASEBOT_TEMPLATES_DIR.

The custom directory is shared with schedule templates: every YAML file there is a checklist
template but those with a top-level `milestones` key, which bot.schedule reads.
"""

from __future__ import annotations

from pathlib import Path

from bot.checklist.template_yaml import StepSpec, Template, parse
from bot.core import templatefiles
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Finding
from bot.core.templatefiles import mistake
from bot.core.yamlfile import TemplateError, TemplateInvalid

__all__ = [
    "DEFAULT_TEMPLATE",
    "Catalog",
    "StepSpec",
    "Template",
    "TemplateError",
    "TemplateInvalid",
    "builtins",
    "catalog",
    "check_templates",
    "load_file",
    "mistake",
    "named",
    "not_loaded",
    "parse",
]

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "templates"
DEFAULT_TEMPLATE = "kubernetes-minor"

Catalog = templatefiles.Catalog[Template]


def _claims(text: str) -> bool:
    """Every YAML file is a checklist template but a schedule template (with `milestones`)."""
    return not templatefiles.has_top_key(text, "milestones")


KIND = templatefiles.Kind(
    "checklist template", BUILTIN_DIR, parse, _claims, "`/checklist templates`", "start"
)
load_file = KIND.load_file
builtins = KIND.builtins
catalog = KIND.catalog
not_loaded = KIND.not_loaded


def named(templates_dir: Path | None, name: str) -> Template:
    """The usable template called `name`, else why its file did not load or which there are."""
    return KIND.named(templates_dir, name)


def check_templates(settings: Settings, db: Database) -> list[Finding]:
    """`releasebot doctor`: the built-in templates load, and every custom file is valid."""
    return KIND.findings(settings.templates_dir)
