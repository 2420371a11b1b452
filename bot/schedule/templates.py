"""Schedule templates: the built-in ones and custom YAML files from RELEASEBOT_TEMPLATES_DIR.

The custom directory is shared with checklist templates: a file there is a schedule template
when it has a top-level `milestones` key (a checklist template has `steps`). A broken file is
skipped and reported with its file and line; the others still load, and `releasebot doctor`
lists the mistakes. Every use reads the files afresh (it happens on commands only).
"""

from __future__ import annotations

from pathlib import Path

from bot.core import yamlfile
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Finding
from bot.core.errors import DomainError, NotFound
from bot.core.text.escape import escape, quoted
from bot.core.text.fit import fit_items
from bot.core.yamlfile import TemplateError, TemplateInvalid
from bot.schedule.template_yaml import ScheduleTemplate, is_schedule_text, parse

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
MAX_FILE_BYTES = 200_000


Catalog = yamlfile.Catalog[ScheduleTemplate]


def _read(path: Path) -> str:
    shown = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            too_large = TemplateError(shown, 1, "the file is too large for a template.")
            raise TemplateInvalid([too_large], path.stem.lower())
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        unreadable = TemplateError(shown, 1, f"cannot be read: {err}")
        raise TemplateInvalid([unreadable], path.stem.lower()) from None


def load_file(path: Path) -> ScheduleTemplate:
    """Read and validate one schedule template file."""
    template = parse(_read(path), str(path))
    return _from(template, str(path))


def _from(template: ScheduleTemplate, source: str) -> ScheduleTemplate:
    return ScheduleTemplate(
        template.name, template.description, template.roles, template.milestones, source
    )


def builtins() -> dict[str, ScheduleTemplate]:
    """The schedule templates shipped with releasebot, by name."""
    found: dict[str, ScheduleTemplate] = {}
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        template = load_file(path)
        found[template.name] = _from(template, "built-in")
    return found


def custom_files(templates_dir: Path) -> list[Path]:
    """The YAML files in the custom directory that are schedule templates."""
    found = []
    for path in sorted(templates_dir.iterdir()):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES or is_schedule_text(_read(path)):
                found.append(path)
        except (OSError, TemplateInvalid):
            found.append(path)  # reported as unreadable when it is loaded
    return found


def catalog(templates_dir: Path | None) -> Catalog:
    """Built-in templates, overridden by valid custom ones; broken files are reported."""
    return yamlfile.gather(builtins(), templates_dir, custom_files, load_file)


def named(templates_dir: Path | None, name: str) -> ScheduleTemplate:
    """The usable template called `name`, else why its file did not load or which there are."""
    found = catalog(templates_dir)
    key = name.strip().lower()
    template = found.templates.get(key)
    if template is None and key in found.broken:
        raise DomainError(not_loaded(key, found.broken[key]))
    if template is None:
        names = ", ".join(f"`{escape(n)}`" for n in sorted(found.templates))
        raise NotFound(
            f"There is no schedule template {quoted(name)}. Choose one of {names} "
            "(`/release schedule templates` describes them)."
        )
    return template


def mistake(error: TemplateError) -> str:
    """`ours.yaml:4: offset: ...`: the file's name, the line and what is wrong (plain text)."""
    return f"{Path(error.path).name}:{error.line}: {error.message}"


def not_loaded(name: str, errors: list[TemplateError]) -> str:
    """Why the template called `name` cannot be applied: each mistake in its file, by line."""
    lines = [f"• `{escape(Path(e.path).name)}:{e.line}`: {escape(e.message)}" for e in errors]
    shown = fit_items(lines, 10, lambda n: f"• _…and {n} more; `releasebot doctor` lists them._")
    return (
        f"The schedule template {quoted(name)} was not loaded because its file has "
        "mistakes:\n" + "\n".join(shown) + "\nCorrect the file, then apply it again."
    )


def check_templates(settings: Settings, db: Database) -> list[Finding]:
    """`releasebot doctor`: the built-in schedules load, and every custom one is valid."""
    found = catalog(settings.templates_dir)
    shipped = len(builtins())
    if not shipped:
        missing = f"no built-in schedule templates in {BUILTIN_DIR}"
        return [Finding(False, missing, "reinstall releasebot: its package data is missing")]
    findings = [Finding(True, f"{shipped} built-in schedule templates load")]
    if settings.templates_dir is not None:
        custom = [t for t in found.templates.values() if t.source != "built-in"]
        where = settings.templates_dir
        findings.append(Finding(True, f"{len(custom)} custom schedule template(s) from {where}"))
    fix = "correct that line; the other templates still load"
    findings.extend(Finding(False, f"schedule template {error}", fix) for error in found.errors)
    return findings
