"""Checklist templates: the built-ins load, and every mistake in a custom file names its line."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.checklist.templates import (
    TemplateInvalid,
    builtins,
    catalog,
    check_templates,
    load_file,
    parse,
)
from bot.core.config import Settings

GOOD = """\
name: my-release
description: Our release-day actions
roles: [lead, branch-manager, docs, comms]
steps:
  - title: Go / No-Go
    owner: lead
    requires: gonogo
  - title: Mock build
    owner: branch-manager
    expected: 45m
    gates: [ci-blocking]
  - title: Publish docs
    owner: docs
    not_before: "16:00 America/Los_Angeles"
"""


def errors_of(text: str, path: str = "teams/ours.yaml") -> list[str]:
    with pytest.raises(TemplateInvalid) as caught:
        parse(text, path)
    return [str(error) for error in caught.value.errors]


def test_the_documented_example_loads() -> None:
    template = parse(GOOD, "ours.yaml")
    assert template.name == "my-release"
    assert [s.owner for s in template.steps] == ["lead", "branch-manager", "docs"]
    assert template.steps[0].requires == "gonogo"
    assert template.steps[1].expected == timedelta(minutes=45)
    assert template.steps[1].gates == ("ci-blocking",)
    assert template.steps[2].not_before == time(16, 0)
    assert template.steps[2].not_before_zone == "America/Los_Angeles"


def test_builtins_follow_the_seeds() -> None:
    found = builtins()
    assert set(found) == {"kubernetes-minor", "kubernetes-patch", "kubeflow"}
    minor = found["kubernetes-minor"]
    assert minor.steps[0].requires == "gonogo" and minor.steps[0].owner == "lead"
    assert [s.owner for s in minor.steps[1:5]] == [
        "release-notes",
        "branch-manager",
        "branch-manager",
        "branch-manager",
    ]
    afternoon = [s for s in minor.steps if s.not_before == time(16, 0)]
    assert afternoon and all(s.not_before_zone == "America/Los_Angeles" for s in afternoon)
    assert minor.steps[-1].owner == "lead"
    patch_titles = " ".join(s.title.lower() for s in found["kubernetes-patch"].steps)
    assert "freeze" in patch_titles and "mock build" in patch_titles
    kubeflow_owners = {s.owner for s in found["kubeflow"].steps}
    assert {"distributions", "docs", "release-manager"} <= kubeflow_owners


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("    expected: 45m", "    expcted: 45m"),
            "ours.yaml:10: unknown key `expcted`",
        ),
        (GOOD.replace("expected: 45m", "expected: 45 minutes"), "ours.yaml:10: expected:"),
        (GOOD.replace("expected: 45m", "expected: 45"), "ours.yaml:10: expected needs a unit"),
        (GOOD.replace("America/Los_Angeles", "Mars/Olympus"), "ours.yaml:14: not_before:"),
        (GOOD.replace('"16:00 America', '"27:00 America'), "ours.yaml:14: not_before:"),
        (GOOD.replace("    owner: docs\n", ""), "ours.yaml:12: this step has no `owner`"),
        (GOOD.replace("owner: docs", "owner: writers"), "ours.yaml:13: owner `writers` is not"),
        (GOOD.replace("gates: [ci-blocking]", "gates: ci-blocking"), "ours.yaml:11: gates must be"),
        (GOOD.replace("requires: gonogo", "requires: vote"), "ours.yaml:7: `requires` can only"),
        (GOOD.replace("  - title: Mock build", "  - title: [Mock]"), "ours.yaml:8: title must be"),
        (GOOD.replace("roles: [lead, branch-manager, docs, comms]", "roles: lead"), "ours.yaml:3:"),
        (GOOD.replace("steps:\n", "steps: 3\n", 1).split("  - ")[0], "ours.yaml:4: steps must"),
        (
            GOOD + "  - title: Two\n    title: Twice\n    owner: lead\n",
            "ours.yaml:16: `title` appears",
        ),
        ("name: x\nsteps:\n  - title: A\n    owner: lead\n  bad: [", "ours.yaml:5: not valid YAML"),
        ("", "ours.yaml:1: the file is empty"),
        ("- just\n- a list\n", "ours.yaml:1: the template must be a mapping"),
        (
            "name: Bad Name\nsteps:\n  - {title: A, owner: lead}\n",
            "ours.yaml:1: `Bad Name` is not a template name",
        ),
    ],
)
def test_each_mistake_names_the_file_and_line(text: str, expected: str) -> None:
    found = errors_of(text, "teams/ours.yaml")
    assert any(expected.replace("ours.yaml", "teams/ours.yaml") in e for e in found), found


def test_every_mistake_in_a_file_is_reported_not_just_the_first() -> None:
    text = GOOD.replace("expected: 45m", "expected: soon").replace("Los_Angeles", "Nowhere")
    found = errors_of(text, "ours.yaml")
    assert [e.split(":")[1] for e in found] == ["10", "14"]


def test_a_seconds_duration_and_a_seconds_start_are_accepted() -> None:
    text = "steps:\n  - title: Quick\n    owner: lead\n    expected: 30s\n"
    text += '    not_before: "10:15:30 UTC"\n'
    template = parse(text, "quick.yaml")
    assert template.name == "quick"  # the file name stands in for a missing name
    assert template.steps[0].expected == timedelta(seconds=30)
    assert template.steps[0].not_before == time(10, 15, 30)


def test_lead_is_always_a_valid_owner_and_a_zone_is_optional() -> None:
    text = "roles: [docs]\nsteps:\n  - title: A\n    owner: lead\n    not_before: 4pm\n"
    step = parse(text, "t.yaml").steps[0]
    assert step.owner == "lead" and step.not_before == time(16, 0)
    assert step.not_before_zone is None  # the release's own timezone


def test_a_broken_custom_file_does_not_take_down_the_others(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "broken.yaml").write_text(GOOD.replace("owner: docs", "owner: 12"))
    (tmp_path / "notes.txt").write_text("not a template")
    found = catalog(tmp_path)
    assert "my-release" in found.templates
    assert "kubernetes-minor" in found.templates
    assert [str(e) for e in found.errors] == [
        f"{tmp_path / 'broken.yaml'}:13: owner must be text, not a number."
    ]
    assert load_file(tmp_path / "good.yaml").source == str(tmp_path / "good.yaml")


def test_a_custom_template_may_replace_a_builtin_but_not_another_custom(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: kubeflow\nsteps:\n  - {title: Ours, owner: lead}\n")
    (tmp_path / "b.yaml").write_text("name: kubeflow\nsteps:\n  - {title: Theirs, owner: lead}\n")
    found = catalog(tmp_path)
    assert found.templates["kubeflow"].steps[0].title == "Ours"
    assert "already defined" in str(found.errors[0]) and "b.yaml:1" in str(found.errors[0])


def test_doctor_reports_template_errors_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(GOOD.replace("expected: 45m", "expected: 3 days"))
    findings = check_templates(Settings(templates_dir=tmp_path), None)  # type: ignore[arg-type]
    bad = [f for f in findings if not f.ok]
    assert len(bad) == 1 and f"{tmp_path / 'broken.yaml'}:10" in bad[0].what
    missing = check_templates(Settings(templates_dir=tmp_path / "nope"), None)  # type: ignore[arg-type]
    assert any(not f.ok and "not a directory" in f.what for f in missing)
