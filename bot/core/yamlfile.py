"""Reading a YAML file a person wrote, with every mistake tied to its file and line.

Checklist and schedule templates are both read this way: the file is composed into YAML
nodes (which keep their line numbers), a `Reader` walks them collecting mistakes instead
of stopping at the first, and `TemplateInvalid` carries them all. What both kinds share
(a name, a description, roles and owners, a list of entries) is read here; each feature
reads its own entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR_TAG = "tag:yaml.org,2002:str"
LEAD = "lead"  # the role every release has, whether a template lists it or not
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
ROLE = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


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

    def unit_text(self, node: Node, what: str, example: str, limit: int) -> str | None:
        """A text that needs a unit: a bare number (like `45`) is a mistake."""
        if isinstance(node, ScalarNode) and node.tag != STR_TAG:
            self.error(node, f"{what} needs a unit, like {example}, not `{node.value}`.")
            return None
        return self.text(node, what, limit)

    def names(self, node: Node, what: str, pattern: re.Pattern[str], form: str) -> list[str]:
        """A list of lower-case names, each matching `pattern` (`form` shows some)."""
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list like [{form}], not {kind(node)}.")
            return []
        names: list[str] = []
        for item in node.value:
            name = self.text(item, f"an entry of {what}", 64)
            if name is None:
                continue
            name = name.lower()
            if not pattern.match(name):
                self.error(item, f"`{name}` is not a valid name in {what} (like {form}).")
            else:
                names.append(name)
        return names

    def role(self, node: Node, what: str) -> str | None:
        """One role name, lower case."""
        value = self.text(node, what, 40)
        if value is None:
            return None
        value = value.lower()
        if not ROLE.match(value):
            self.error(node, f"`{value}` is not a role name (like branch-manager).")
            return None
        return value

    def owner(self, node: Node, roles: list[str] | None) -> str | None:
        """The role that owns an entry: the lead or one of the template's roles, if it lists any."""
        owner = self.role(node, "owner")
        if owner is None:
            return None
        if roles is not None and owner != LEAD and owner not in roles:
            self.error(
                node, f"owner `{owner}` is not one of the template's roles: {', '.join(roles)}."
            )
            return None
        return owner

    def head(self, root: Node, stem: str, form: Form) -> Head | None:
        """The template's keys, its name (the file's when it gives none) and description."""
        top = self.mapping(root, form.keys, "the template")
        if not isinstance(root, MappingNode):
            return None
        name = stem
        if "name" in top:
            given = self.text(top["name"], "name", 64) or name
            name = given.lower() if form.fold else given
        if not NAME.match(name):
            self.error(
                top.get("name", root), f"`{name}` is not a template name (like {form.example})."
            )
        description = ""
        if "description" in top:
            description = self.text(top["description"], "description", form.description) or ""
        return Head(root, top, name, description)

    def entries(self, node: Node, what: str, whole: str, one: str) -> list[Node]:
        """The entries of the template's list, `what` (a `whole` needs at least `one`)."""
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list of {what}, not {kind(node)}.")
            return []
        if not node.value:
            self.error(node, f"{what} is empty: a {whole} needs at least one {one}.")
        return list(node.value)


@dataclass(frozen=True)
class Form:
    """How one kind of template starts: its top keys, an example name, the longest description."""

    keys: tuple[str, ...]
    example: str
    description: int
    fold: bool  # True when a name given in capitals is read in lower case


@dataclass(frozen=True)
class Head:
    """What every template starts with: its keys (to read the rest), name and description."""

    root: Node  # the whole file, where a mistake about it as a whole is noted
    top: dict[str, Node]
    name: str
    description: str


T = TypeVar("T")


def read_template(text: str, path: str, form: Form, build: Callable[[Reader, Head], T | None]) -> T:
    """Read one template from YAML text: its head here, the rest with `build`.

    TemplateInvalid lists every mistake with its line.
    """
    stem = Path(path).stem.lower()
    root = compose(text, path, stem)
    walk = Reader(path)
    head = walk.head(root, stem, form)
    template = build(walk, head) if head is not None else None
    if walk.errors or template is None:
        raise TemplateInvalid(walk.errors, declared_name(root, stem))
    return template


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
