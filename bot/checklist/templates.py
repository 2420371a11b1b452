"""Checklist templates: the built-in ones and custom YAML files from RELEASEBOT_TEMPLATES_DIR.

A broken custom file is skipped and reported with its file and line; the others still load,
and `releasebot doctor` lists the mistakes. Every use reads the files afresh (a few
milliseconds; it happens on commands, never on clicks).
"""

from __future__ import annotations

from pathlib import Path

from bot.checklist.template_yaml import StepSpec, Template, parse
from bot.core import yamlfile
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Finding
from bot.core.errors import DomainError, NotFound
from bot.core.text.escape import escape, quoted
from bot.core.text.fit import fit_items
from bot.core.yamlfile import TemplateError, TemplateInvalid
from bot.schedule.template_yaml import is_schedule_text

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
MAX_FILE_BYTES = 200_000


Catalog = yamlfile.Catalog[Template]


def load_file(path: Path) -> Template:
    """Read and validate one template file."""
    shown, stem = str(path), path.stem.lower()
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            too_large = TemplateError(shown, 1, "the file is too large for a template.")
            raise TemplateInvalid([too_large], stem)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        unreadable = TemplateError(shown, 1, f"cannot be read: {err}")
        raise TemplateInvalid([unreadable], stem) from None
    template = parse(text, shown)
    return Template(template.name, template.description, template.roles, template.steps, shown)


def builtins() -> dict[str, Template]:
    """The templates shipped with releasebot, by name."""
    found: dict[str, Template] = {}
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        template = load_file(path)
        found[template.name] = Template(
            template.name, template.description, template.roles, template.steps, "built-in"
        )
    return found


def custom_files(templates_dir: Path) -> list[Path]:
    """The YAML files in a custom templates directory, but for schedule templates."""
    found = (p for p in templates_dir.iterdir() if p.suffix in (".yaml", ".yml"))
    return sorted(p for p in found if not _is_schedule(p))


def _is_schedule(path: Path) -> bool:
    """A schedule template (top-level `milestones:`) shares the directory; bot.schedule reads it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return False
        return is_schedule_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


def catalog(templates_dir: Path | None) -> Catalog:
    """Built-in templates, overridden by valid custom ones; broken files are reported."""
    return yamlfile.gather(builtins(), templates_dir, custom_files, load_file)


def named(templates_dir: Path | None, name: str) -> Template:
    """The usable template called `name`, else why its file did not load or which there are."""
    found = catalog(templates_dir)
    template = found.templates.get(name)
    if template is None and name in found.broken:
        raise DomainError(not_loaded(name, found.broken[name]))
    if template is None:
        names = ", ".join(f"`{escape(n)}`" for n in sorted(found.templates))
        raise NotFound(
            f"There is no checklist template {quoted(name)}. Choose one of {names} "
            "(`/checklist templates` describes them)."
        )
    return template


def mistake(error: TemplateError) -> str:
    """`ours.yaml:4: expected needs a unit...`: the file's name, the line and what is wrong."""
    return f"{Path(error.path).name}:{error.line}: {error.message}"


def not_loaded(name: str, errors: list[TemplateError]) -> str:
    """Why the template called `name` cannot be started: each mistake in its file, by line."""
    lines = [f"• `{escape(Path(e.path).name)}:{e.line}`: {escape(e.message)}" for e in errors]
    shown = fit_items(lines, 10, lambda n: f"• _…and {n} more; `releasebot doctor` lists them._")
    return (
        f"The checklist template {quoted(name)} was not loaded because its file has "
        "mistakes:\n" + "\n".join(shown) + "\nCorrect the file, then start it again."
    )


def check_templates(settings: Settings, db: Database) -> list[Finding]:
    """`releasebot doctor`: the built-in templates load, and every custom file is valid."""
    found = catalog(settings.templates_dir)
    findings = [Finding(True, f"{len(builtins())} built-in checklist templates load")]
    if settings.templates_dir is not None:
        custom = [t for t in found.templates.values() if t.source != "built-in"]
        where = settings.templates_dir
        findings.append(Finding(True, f"{len(custom)} custom checklist template(s) from {where}"))
    fix = "correct that line; the other templates still load"
    findings.extend(Finding(False, f"checklist template {error}", fix) for error in found.errors)
    return findings
