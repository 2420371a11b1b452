"""Template files of one kind: the built-in ones, and custom ones from RELEASEBOT_TEMPLATES_DIR.

Checklist and schedule templates share the custom directory; a `Kind` says what one kind is
called, where its built-in files are, how one file is parsed and which files are its own. A
broken custom file is skipped and reported with its file and line; the others still load,
and `releasebot doctor` lists the mistakes. Every use reads the files afresh (a few
milliseconds; it happens on commands, never on clicks).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from bot.core.doctor import Finding
from bot.core.errors import DomainError, NotFound
from bot.core.text.escape import escape, quoted
from bot.core.text.fit import fit_items
from bot.core.yamlfile import TemplateError, TemplateInvalid

MAX_FILE_BYTES = 200_000
BUILT_IN = "built-in"


class Sourced(Protocol):
    """A template: whatever it holds, it has a name and says where it came from."""

    @property
    def name(self) -> str:
        """The name people choose it by."""
        ...

    @property
    def source(self) -> str:
        """`built-in`, or the file it was read from."""
        ...


T = TypeVar("T", bound=Sourced)


@dataclass
class Catalog(Generic[T]):
    """Every usable template by name, and the mistakes found in custom files."""

    templates: dict[str, T] = field(default_factory=dict)
    errors: list[TemplateError] = field(default_factory=list)
    broken: dict[str, list[TemplateError]] = field(default_factory=dict)  # by template name


def read_text(path: Path) -> str:
    """The text of a template file; TemplateInvalid when it is too large or unreadable."""
    shown = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            too_large = TemplateError(shown, 1, "the file is too large for a template.")
            raise TemplateInvalid([too_large], path.stem.lower())
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        unreadable = TemplateError(shown, 1, f"cannot be read: {err}")
        raise TemplateInvalid([unreadable], path.stem.lower()) from None


def has_top_key(text: str, key: str) -> bool:
    """True when YAML text has `key` at its top level (what tells the kinds of file apart)."""
    return bool(re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE))


def mistake(error: TemplateError) -> str:
    """`ours.yaml:4: expected needs a unit...`: the file's name, the line and what is wrong."""
    return f"{Path(error.path).name}:{error.line}: {error.message}"


@dataclass(frozen=True)
class Kind(Generic[T]):
    """One kind of template: its name, its built-in files, its parser, the files it claims."""

    noun: str  # "checklist template"
    builtin_dir: Path
    parse: Callable[[str, str], T]  # (text, path) -> the template
    claims: Callable[[str], bool]  # whether the text of a custom YAML file is of this kind
    listing: str  # the command that describes them, like "`/checklist templates`"
    verb: str  # what one does with a template, like "start"

    def load_file(self, path: Path) -> T:
        """Read and validate one template file."""
        return _sourced(self.parse(read_text(path), str(path)), str(path))

    def builtins(self) -> dict[str, T]:
        """The templates shipped with releasebot, by name."""
        found: dict[str, T] = {}
        for path in sorted(self.builtin_dir.glob("*.yaml")):
            template = _sourced(self.load_file(path), BUILT_IN)
            found[template.name] = template
        return found

    def custom_files(self, templates_dir: Path) -> list[Path]:
        """The YAML files in the custom directory of this kind, and the unreadable ones."""
        found = (p for p in templates_dir.iterdir() if p.suffix in (".yaml", ".yml"))
        return sorted(p for p in found if p.is_file() and self._claims(p))

    def _claims(self, path: Path) -> bool:
        try:
            return self.claims(read_text(path))
        except TemplateInvalid:
            return True  # loading it reports why it cannot be read

    def catalog(self, templates_dir: Path | None) -> Catalog[T]:
        """Built-in templates, overridden by valid custom ones; broken files are reported."""
        found: Catalog[T] = Catalog(templates=self.builtins())
        if templates_dir is None:
            return found
        if not templates_dir.is_dir():
            found.errors.append(TemplateError(str(templates_dir), 1, "is not a directory."))
            return found
        seen: dict[str, str] = {}
        for path in self.custom_files(templates_dir):
            try:
                template = self.load_file(path)
            except TemplateInvalid as err:
                found.errors.extend(err.errors)
                found.broken.setdefault(err.name or path.stem.lower(), []).extend(err.errors)
                continue
            if template.name in seen:
                message = f"template `{template.name}` is already defined in {seen[template.name]}."
                found.errors.append(TemplateError(str(path), 1, message))
                continue
            seen[template.name] = str(path)
            found.templates[template.name] = template
        return found

    def named(self, templates_dir: Path | None, key: str, shown: str | None = None) -> T:
        """The usable template called `key`, else why its file did not load or which there are."""
        found = self.catalog(templates_dir)
        template = found.templates.get(key)
        if template is None and key in found.broken:
            raise DomainError(self.not_loaded(key, found.broken[key]))
        if template is None:
            names = ", ".join(f"`{escape(n)}`" for n in sorted(found.templates))
            raise NotFound(
                f"There is no {self.noun} {quoted(shown or key)}. Choose one of {names} "
                f"({self.listing} describes them)."
            )
        return template

    def not_loaded(self, name: str, errors: list[TemplateError]) -> str:
        """Why the template called `name` cannot be used: each mistake in its file, by line."""
        lines = [f"• `{escape(Path(e.path).name)}:{e.line}`: {escape(e.message)}" for e in errors]
        more = fit_items(lines, 10, lambda n: f"• _…and {n} more; `releasebot doctor` lists them._")
        return (
            f"The {self.noun} {quoted(name)} was not loaded because its file has "
            f"mistakes:\n" + "\n".join(more) + f"\nCorrect the file, then {self.verb} it again."
        )

    def findings(self, templates_dir: Path | None) -> list[Finding]:
        """`releasebot doctor`: the built-in templates load, and every custom file is valid."""
        found = self.catalog(templates_dir)
        shipped = len(self.builtins())
        if not shipped:
            missing = f"no built-in {self.noun}s in {self.builtin_dir}"
            return [Finding(False, missing, "reinstall releasebot: its package data is missing")]
        findings = [Finding(True, f"{shipped} built-in {self.noun}s load")]
        if templates_dir is not None:
            custom = [t for t in found.templates.values() if t.source != BUILT_IN]
            where = templates_dir
            findings.append(Finding(True, f"{len(custom)} custom {self.noun}(s) from {where}"))
        fix = "correct that line; the other templates still load"
        findings.extend(Finding(False, f"{self.noun} {error}", fix) for error in found.errors)
        return findings


def _sourced(template: T, source: str) -> T:
    """The template as read from `source`."""
    changed: Any = dataclasses.replace(template, source=source)  # type: ignore[type-var]
    return changed
