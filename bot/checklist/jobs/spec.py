"""A step's `run:` as its template writes it, read with every mistake tied to its line.

    run:
      github:
        repo: kubernetes/release
        workflow: promote.yaml          # the file under .github/workflows, or its number
        ref: main
        inputs:
          version: "{release.version}"  # only the release's own fields, never a secret
        correlation: releasebot_run     # optional: the input that names the run
      timeout: 2h                       # optional (default 6h)

or `run: {webhook: {url: https://jobs.example.com/hook}}` (one of the release's webhook
endpoints, whose secret signs the event; it waits 1h by default for the job's report).
Input values may use
`{release.name}`, `{release.version}` (the name without a leading v) and `{release.day}`
(the release day, YYYY-MM-DD); nothing else is filled in, so no text in a template can
reach the environment or a credential.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from yaml.nodes import MappingNode, Node, ScalarNode

from bot.core.text.timeparse import ParseError, parse_duration
from bot.core.yamlfile import STR_TAG, Reader, kind

GITHUB, WEBHOOK = "github", "webhook"
RUN_KEYS = (GITHUB, WEBHOOK, "timeout")
GITHUB_KEYS = ("repo", "workflow", "ref", "inputs", "correlation")
WEBHOOK_KEYS = ("url",)
DEFAULT_TIMEOUT = timedelta(hours=6)
DEFAULT_WEBHOOK_TIMEOUT = timedelta(hours=1)
MAX_TIMEOUT = timedelta(days=3)
MAX_INPUTS = 25  # what GitHub accepts for workflow_dispatch
MAX_INPUT = 1000
FIELDS = ("release.name", "release.version", "release.day")
REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
WORKFLOW = re.compile(r"^([A-Za-z0-9_.-]{1,200}\.ya?ml|[0-9]{1,20})$")
REF = re.compile(r"^[A-Za-z0-9_./-]{1,255}$")
INPUT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")
URL = re.compile(r"^https?://[^\s]{1,2000}$")
PLACE = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class RunSpec:
    """The job a step runs: a GitHub workflow (repo, workflow, ref, inputs) or a webhook."""

    kind: str
    timeout: timedelta = DEFAULT_TIMEOUT
    repo: str = ""
    workflow: str = ""
    ref: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    correlation: str | None = None
    url: str = ""

    def dumps(self) -> str:
        """As stored on the step."""
        return json.dumps(
            {
                "kind": self.kind,
                "timeout": int(self.timeout.total_seconds()),
                "repo": self.repo,
                "workflow": self.workflow,
                "ref": self.ref,
                "inputs": self.inputs,
                "correlation": self.correlation,
                "url": self.url,
            },
            sort_keys=True,
        )

    @classmethod
    def loads(cls, stored: str) -> RunSpec:
        """Read back what `dumps` stored."""
        data = json.loads(stored)
        return cls(
            kind=str(data["kind"]),
            timeout=timedelta(seconds=int(data["timeout"])),
            repo=str(data.get("repo") or ""),
            workflow=str(data.get("workflow") or ""),
            ref=str(data.get("ref") or ""),
            inputs={str(k): str(v) for k, v in (data.get("inputs") or {}).items()},
            correlation=data.get("correlation") or None,
            url=str(data.get("url") or ""),
        )

    def what(self) -> str:
        """`kubernetes/release promote.yaml @main` or the webhook's URL, for people."""
        if self.kind == GITHUB:
            return f"{self.repo} {self.workflow} @{self.ref}"
        return self.url


def fields_of(name: str, zone: str, release_at: datetime | None) -> dict[str, str]:
    """The release's own fields an input may use."""
    version = name[1:] if name[:1] in ("v", "V") and name[1:2].isdigit() else name
    day = release_at.astimezone(ZoneInfo(zone)).date().isoformat() if release_at else ""
    return {"release.name": name, "release.version": version, "release.day": day}


def filled(inputs: dict[str, str], fields: dict[str, str]) -> dict[str, str]:
    """The inputs with `{release.…}` replaced by the release's values."""
    return {
        key: PLACE.sub(lambda m: fields.get(m.group(1).strip(), m.group(0)), value)
        for key, value in inputs.items()
    }


def read_run(reader: Reader, node: Node) -> RunSpec | None:
    """The step's `run:`, or None with the mistakes noted in `reader`."""
    keys = reader.mapping(node, RUN_KEYS, "run")
    if not isinstance(node, MappingNode):
        return None
    default = DEFAULT_WEBHOOK_TIMEOUT if WEBHOOK in keys else DEFAULT_TIMEOUT
    timeout = _timeout(reader, keys["timeout"], default) if "timeout" in keys else default
    if (GITHUB in keys) == (WEBHOOK in keys):
        reader.error(node, "run needs exactly one of `github:` (a workflow) or `webhook:` (a URL).")
        return None
    if GITHUB in keys:
        return _github(reader, keys[GITHUB], timeout)
    return _webhook(reader, keys[WEBHOOK], timeout)


def _timeout(reader: Reader, node: Node, default: timedelta) -> timedelta:
    value = reader.text(node, "run's timeout", 20)
    if value is None:
        return default
    try:
        span = parse_duration(value)
    except ParseError as err:
        reader.error(node, f"run's timeout: {err}")
        return default
    if span > MAX_TIMEOUT or span <= timedelta(0):
        reader.error(node, "run's timeout is a duration of at most 3d, like 2h.")
    return span


def _github(reader: Reader, node: Node, timeout: timedelta) -> RunSpec | None:
    keys = reader.mapping(node, GITHUB_KEYS, "run's github")
    if not isinstance(node, MappingNode):
        return None
    found = {}
    forms = {
        "repo": (REPO, "owner/name, like kubernetes/release"),
        "workflow": (WORKFLOW, "the workflow's file name (like promote.yaml) or number"),
        "ref": (REF, "a branch or tag, like main"),
    }
    for name, (pattern, form) in forms.items():
        if name not in keys:
            reader.error(node, f"run's github needs `{name}`: {form}.")
            continue
        value = reader.text(keys[name], f"github's {name}", 255)
        if value is not None and not pattern.match(value):
            reader.error(keys[name], f"`{value}` is not a {name}: write {form}.")
        elif value is not None:
            found[name] = value
    inputs = _inputs(reader, keys["inputs"]) if "inputs" in keys else {}
    correlation = _correlation(reader, keys.get("correlation"), inputs)
    if len(found) < len(forms) or inputs is None:
        return None
    return RunSpec(GITHUB, timeout, inputs=inputs, correlation=correlation, **found)


def _inputs(reader: Reader, node: Node) -> dict[str, str] | None:
    if not isinstance(node, MappingNode):
        reader.error(node, f"github's inputs must be a mapping of input: value, not {kind(node)}.")
        return None
    if len(node.value) > MAX_INPUTS:
        reader.error(node, f"a workflow takes at most {MAX_INPUTS} inputs.")
    inputs: dict[str, str] = {}
    ok = True
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if not INPUT.match(key) or key in inputs:
            reader.error(key_node, f"`{key}` is not a usable input name (or is given twice).")
            ok = False
            continue
        value = _input_value(reader, key, value_node)
        if value is None:
            ok = False
        else:
            inputs[key] = value
    return inputs if ok else None


def _input_value(reader: Reader, key: str, node: Node) -> str | None:
    if not isinstance(node, ScalarNode) or node.tag.rsplit(":", 1)[-1] == "null":
        reader.error(node, f"input `{key}` must be a value (text, number or true/false).")
        return None
    value = str(node.value)
    if node.tag == STR_TAG:
        value = value.strip()
    if len(value) > MAX_INPUT:
        reader.error(node, f"input `{key}` is longer than {MAX_INPUT} characters.")
        return None
    for match in PLACE.finditer(value):
        if match.group(1).strip() not in FIELDS:
            allowed = ", ".join(f"{{{name}}}" for name in FIELDS)
            reader.error(
                node,
                f"input `{key}` uses `{match.group(0)}`; inputs may use only the release's "
                f"fields: {allowed}.",
            )
            return None
    return value


def _correlation(reader: Reader, node: Node | None, inputs: dict[str, str] | None) -> str | None:
    if node is None:
        return None
    name = reader.text(node, "github's correlation", 100)
    if name is None:
        return None
    if not INPUT.match(name):
        reader.error(node, f"`{name}` is not an input name (like releasebot_run).")
        return None
    if inputs and name in inputs:
        reader.error(node, f"`{name}` is filled in by the bot; do not give it in inputs too.")
        return None
    return name


def _webhook(reader: Reader, node: Node, timeout: timedelta) -> RunSpec | None:
    keys = reader.mapping(node, WEBHOOK_KEYS, "run's webhook")
    if not isinstance(node, MappingNode):
        return None
    if "url" not in keys:
        reader.error(node, "run's webhook needs `url`, like https://jobs.example.com/hook.")
        return None
    url = reader.text(keys["url"], "webhook's url", 2000)
    if url is not None and not URL.match(url):
        reader.error(keys["url"], "webhook's url must start with https:// (or http://).")
        return None
    return RunSpec(WEBHOOK, timeout, url=url) if url else None
