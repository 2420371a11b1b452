"""Schedule templates: the built-in ones and custom YAML files from RELEASEBOT_TEMPLATES_DIR.

The custom directory is shared with checklist templates: a file there is a schedule template
when it has a top-level `milestones` key (a checklist template has `steps`).
"""

from __future__ import annotations

from pathlib import Path

from bot.core import templatefiles
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Finding
from bot.schedule.template_yaml import ScheduleTemplate, is_schedule_text, parse

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"

Catalog = templatefiles.Catalog[ScheduleTemplate]


KIND = templatefiles.Kind(
    "schedule template",
    BUILTIN_DIR,
    parse,
    is_schedule_text,
    "`/release schedule templates`",
    "apply",
)
load_file = KIND.load_file
builtins = KIND.builtins
catalog = KIND.catalog
not_loaded = KIND.not_loaded
mistake = templatefiles.mistake


def named(templates_dir: Path | None, name: str) -> ScheduleTemplate:
    """The usable template called `name` (any case), else why it did not load or which there are."""
    return KIND.named(templates_dir, name.strip().lower(), shown=name)


def check_templates(settings: Settings, db: Database) -> list[Finding]:
    """`releasebot doctor`: the built-in schedules load, and every custom one is valid."""
    return KIND.findings(settings.templates_dir)
