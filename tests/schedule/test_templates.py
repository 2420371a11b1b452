"""Schedule templates: the built-ins follow the seeds, bad custom files are refused by line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import Settings
from bot.core.errors import DomainError, NotFound
from bot.schedule import templates
from bot.schedule.template_yaml import TemplateInvalid, parse

LA = ZoneInfo("America/Los_Angeles")
V133 = datetime(2025, 4, 23, 17, 0, tzinfo=UTC)  # Kubernetes v1.33: Wed 23 Apr 2025


def offsets(name: str) -> dict[str, str]:
    return {m.name: m.offset.text() for m in templates.builtins()[name].milestones if m.offset}


def test_builtins_load_and_each_has_release_day() -> None:
    found = templates.builtins()
    assert set(found) == {"kubernetes", "kubeflow", "openstack"}
    for template in found.values():
        assert template.source == "built-in"
        assert template.description
        marks = [m.marks for m in template.milestones if m.marks]
        assert "release" in marks and "code-freeze" in marks
        assert all(m.owner for m in template.milestones)


def test_kubernetes_offsets_follow_the_published_schedules() -> None:
    found = offsets("kubernetes")
    assert found["Enhancements freeze"] == "-68d 02:00 UTC"
    assert found["Code and test freeze"] == "-33d 02:00 UTC"
    assert found["Production readiness review freeze"] == "-76d"
    assert found["Docs freeze"] == "-21d"
    assert found["Release day"] == "R"
    # v1.33: enhancements freeze 02:00 UTC Fri 14 Feb, code freeze 02:00 UTC Fri 21 Mar 2025
    spec = {m.name: m for m in templates.builtins()["kubernetes"].milestones}
    assert spec["Enhancements freeze"].offset.resolve(V133, LA)[0] == datetime(  # type: ignore[union-attr]
        2025, 2, 14, 2, 0, tzinfo=UTC
    )
    assert spec["Code and test freeze"].offset.resolve(V133, LA)[0] == datetime(  # type: ignore[union-attr]
        2025, 3, 21, 2, 0, tzinfo=UTC
    )


def test_kubeflow_is_the_seventeen_week_timeline() -> None:
    found = offsets("kubeflow")
    assert found["Development begins"] == "-16w mon 00:00"  # week 1
    assert found["Feature freeze and first RC"] == "-6w mon 00:00"  # week 11
    assert found["Manifests testing and next RC"] == "-4w mon 00:00"  # week 13
    assert found["Distribution testing begins"] == "-3w mon 00:00"  # week 14
    assert found["Distribution testing and docs end"] == "-1w fri"  # end of week 16
    assert found["Release day"] == "R"  # week 17


def test_openstack_deadlines_fall_on_thursdays_of_their_weeks() -> None:
    found = offsets("openstack")
    assert found["Milestone 1"] == "-20w thu"
    assert found["Milestone 2"] == "-13w thu"
    assert found["Feature freeze"] == "-5w thu"
    assert found["RC1 deadline"] == "-3w thu"
    assert found["Final RC deadline"] == "-1w thu"


GOOD = """\
name: ours
description: Our freezes
roles: [lead, docs]
milestones:
  - name: Docs freeze
    offset: -21d 02:00 UTC
    owner: docs
    marks: docs-freeze
  - name: Launch party
    date: 2027-03-20 18:00 Europe/Berlin
"""


def test_a_custom_template_reads_offsets_and_fixed_dates() -> None:
    template = parse(GOOD, "ours.yaml")
    docs, party = template.milestones
    assert docs.offset is not None and docs.offset.text() == "-21d 02:00 UTC"
    assert party.fixed is not None and party.offset is None
    at, zone = party.fixed.resolve(LA)
    assert at == datetime(2027, 3, 20, 17, 0, tzinfo=UTC) and zone.key == "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD.replace("offset: -21d 02:00 UTC", "offset: -21"), 6, "needs a unit"),
        (GOOD.replace("offset: -21d 02:00 UTC", "offset: -21d 27:00"), 6, "27:00"),
        (GOOD.replace("offset: -21d 02:00 UTC", "offset: soon"), 6, "not an offset"),
        (GOOD.replace("    owner: docs\n", "    owner: comms\n"), 7, "not one of the template's"),
        (GOOD.replace("    marks: docs-freeze\n", "    marks: freeze\n"), 8, "marks"),
        (GOOD.replace("date: 2027-03-20 18:00", "date: 2027-02-30 18:00"), 10, "not a real date"),
        (
            GOOD.replace("date: 2027-03-20 18:00 Europe/Berlin", "offset: R\n    date: 2027-03-20"),
            11,
            "not both",
        ),
        (GOOD.replace("    date: 2027-03-20 18:00 Europe/Berlin\n", ""), 9, "no `offset`"),
        (GOOD.replace("Launch party", "docs FREEZE"), 9, "already named on line 5"),
        (GOOD.replace("  - name: Launch party", "  - nme: Launch party"), 9, "unknown key `nme`"),
        (GOOD.replace("milestones:", "milestones: 3\nx:"), 4, "must be a list"),
        ("name: ours\nmilestones:\n\t- name: a\n", 3, "not valid YAML"),
        ("", 1, "empty"),
    ],
)
def test_bad_templates_are_refused_with_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(TemplateInvalid) as caught:
        parse(text, "ours.yaml")
    found = [(e.line, e.message) for e in caught.value.errors]
    assert any(at == line and message in said for at, said in found), found


def test_every_mistake_of_a_file_is_listed_not_just_the_first() -> None:
    text = GOOD.replace("offset: -21d 02:00 UTC", "offset: -21").replace("docs-freeze", "x")
    with pytest.raises(TemplateInvalid) as caught:
        parse(text, "ours.yaml")
    assert [e.line for e in caught.value.errors] == [6, 8]


def test_the_custom_directory_is_shared_with_checklist_templates(tmp_path: Path) -> None:
    (tmp_path / "ours.yaml").write_text(GOOD)
    (tmp_path / "checklist.yaml").write_text(
        "name: steps\nsteps:\n  - title: Go\n    owner: lead\n"
    )
    bad = GOOD.replace("name: ours", "name: broken").replace("offset: -21d 02:00 UTC", "offset: x")
    (tmp_path / "broken.yaml").write_text(bad)
    found = templates.catalog(tmp_path)
    assert set(found.templates) == {"kubernetes", "kubeflow", "openstack", "ours"}
    assert [(Path(e.path).name, e.line) for e in found.errors] == [("broken.yaml", 6)]
    with pytest.raises(DomainError, match=r"broken.yaml:6"):
        templates.named(tmp_path, "broken")
    with pytest.raises(NotFound, match="kubeflow"):
        templates.named(tmp_path, "nope")
    assert templates.named(tmp_path, "OURS").source.endswith("ours.yaml")


def test_doctor_reports_broken_schedule_files(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("milestones:\n  - name: X\n    offset: 5\n")
    settings = Settings(bot_token="x", signing_secret="y", templates_dir=tmp_path)
    findings = templates.check_templates(settings, None)  # type: ignore[arg-type]
    bad = [f for f in findings if not f.ok]
    assert len(bad) == 1 and "broken.yaml:3" in bad[0].what
