"""Reading a YAML file a person wrote, with every mistake tied to its file and line.

Checklist and schedule templates are both read this way: the file is composed into YAML
nodes (which keep their line numbers), a `Reader` walks them collecting mistakes instead
of stopping at the first, and `TemplateInvalid` carries them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class TemplateError:
    """One mistake in a template file, at a line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class TemplateInvalid(Exception):
    """A template file with one or more mistakes."""

    def __init__(self, errors: list[TemplateError], name: str | None = None) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
        self.name = name  # the template the file means to define, as far as it can be read


class Reader:
    """Walks the composed YAML of one file, collecting errors instead of stopping."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[TemplateError] = []

    def error(self, node: Node, message: str) -> None:
        """Note a mistake at the node's line."""
        self.errors.append(TemplateError(self.path, node.start_mark.line + 1, message))

    def mapping(self, node: Node, allowed: tuple[str, ...], what: str) -> dict[str, Node]:
        """The node's keys (only the allowed ones, each once) and their value nodes."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping of keys like {', '.join(allowed)}.")
            return {}
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in allowed:
                self.error(key_node, f"unknown key `{key}` in {what}; use {', '.join(allowed)}.")
            elif key in found:
                self.error(key_node, f"`{key}` appears twice in {what}.")
            else:
                found[key] = value_node
        return found

    def text(self, node: Node, what: str, limit: int) -> str | None:
        """A non-empty text of at most `limit` characters, its white space folded."""
        if not isinstance(node, ScalarNode) or node.tag != STR_TAG:
            self.error(node, f"{what} must be text, not {kind(node)}.")
            return None
        value = " ".join(str(node.value).split())
        if not value:
            self.error(node, f"{what} is empty.")
            return None
        if len(value) > limit:
            self.error(node, f"{what} is longer than {limit} characters.")
            return None
        return value


def kind(node: Node) -> str:
    """How a YAML node reads to a person: a list, a mapping, a number..."""
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    tag = node.tag.rsplit(":", 1)[-1]
    names = {"int": "a number", "float": "a number", "bool": "true/false", "null": "empty"}
    return names.get(tag, "text")


def compose(text: str, path: str, stem: str) -> Node:
    """The file's YAML nodes; TemplateInvalid (with the line) when it is not YAML or empty."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        invalid = TemplateError(path, line, f"not valid YAML: {err.problem}")
        raise TemplateInvalid([invalid], stem) from None
    except yaml.YAMLError as err:
        raise TemplateInvalid([TemplateError(path, 1, f"not valid YAML: {err}")], stem) from None
    if root is None:
        raise TemplateInvalid([TemplateError(path, 1, "the file is empty.")], stem)
    return root


def declared_name(root: Node, stem: str) -> str:
    """The name a template file gives itself (its file name when it gives none)."""
    if isinstance(root, MappingNode):
        for key, value in root.value:
            if key.value == "name" and isinstance(value, ScalarNode) and value.tag == STR_TAG:
                return str(value.value).strip().lower() or stem
    return stem


class Named(Protocol):
    """A template: whatever it holds, it has a name."""

    @property
    def name(self) -> str:
        """The name people choose it by."""
        ...


T = TypeVar("T", bound=Named)


@dataclass
class Catalog(Generic[T]):
    """Every usable template by name, and the mistakes found in custom files."""

    templates: dict[str, T] = field(default_factory=dict)
    errors: list[TemplateError] = field(default_factory=list)
    broken: dict[str, list[TemplateError]] = field(default_factory=dict)  # by template name


def gather(
    builtins: dict[str, T],
    templates_dir: Path | None,
    files: Callable[[Path], list[Path]],
    load: Callable[[Path], T],
) -> Catalog[T]:
    """Built-in templates, overridden by valid custom ones; broken files are reported."""
    found: Catalog[T] = Catalog(templates=dict(builtins))
    if templates_dir is None:
        return found
    if not templates_dir.is_dir():
        found.errors.append(TemplateError(str(templates_dir), 1, "is not a directory."))
        return found
    seen: dict[str, str] = {}
    for path in files(templates_dir):
        try:
            template = load(path)
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
