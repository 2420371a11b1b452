"""The readers of published schedules and the lint rules, on small texts (no network, no Slack)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.schedule.lint import ORDER, YEAR, Item, Team, lint
from bot.schedule.upstream import formats, kubernetes, openstack
from bot.schedule.upstream.formats import NotUnderstood

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_an_older_patch_file_with_unquoted_versions_keeps_1_30_as_written() -> None:
    text = (
        "schedules:\n- release: 1.30\n  releaseDate: 2024-04-17\n  next:\n"
        "    release: 1.30.1\n    cherryPickDeadline: 2024-05-10\n    targetDate: 2024-05-15\n"
    )
    parsed = kubernetes.parse_patches(text, "1.30")
    assert [(e.name, e.day) for e in parsed.entries] == [
        ("1.30 release", date(2024, 4, 17)),
        ("1.30.1 cherry-pick deadline", date(2024, 5, 10)),
        ("1.30.1 release", date(2024, 5, 15)),
    ]


def test_a_date_that_is_no_day_names_its_line() -> None:
    text = "schedules:\n- release: '1.31'\n  releaseDate: '2024-02-30'\n"
    with pytest.raises(NotUnderstood) as caught:
        kubernetes.parse_patches(text, None)
    assert caught.value.line == 3 and "no day of the calendar" in caught.value.reason


def test_broken_yaml_is_refused_at_its_line() -> None:
    with pytest.raises(NotUnderstood) as caught:
        formats.recognise("---\nschedules:\n  - release: [1.31\n")
    assert caught.value.line == 4 and "not valid YAML" in caught.value.reason


def test_a_timeline_cell_reads_aoe_pairs_ranges_and_plain_days() -> None:
    pair = "Tuesday 9th June 2026 (AoE) / Wednesday 10th June 2026, 12:00 UTC"
    assert kubernetes.parse_when(pair, 1) == (date(2026, 6, 10), time(12, 0))
    span = "Tuesday 28th - Thursday 30th July 2026"
    assert kubernetes.parse_when(span, 1) == (date(2026, 7, 28), None)
    assert kubernetes.parse_when("Monday 18th May 2026", 1) == (date(2026, 5, 18), None)
    with pytest.raises(NotUnderstood):
        kubernetes.parse_when("sometime in June", 7)


def test_openstack_keys_of_another_series_are_left_out() -> None:
    text = (
        "cycle:\n  - start: '2026-09-28'\n    x-project: [h-final]\n"
        "  - start: '2026-10-05'\n    name: R-1\n    x-project: [i-ff, i-rc1]\n"
        "  - start: '2026-10-12'\n    name: R+0\n    x-project: [i-final]\n"
    )
    parsed = openstack.parse_openstack(text, "indri")
    assert [(e.key, e.day) for e in parsed.entries] == [
        ("i-ff", date(2026, 10, 8)),
        ("i-rc1", date(2026, 10, 8)),
        ("i-final", date(2026, 10, 14)),
    ]


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=LA)


def test_a_year_in_order_is_no_typo_and_one_out_of_place_is() -> None:
    chain = [("a", "2030-12-20"), ("b", "2031-01-08"), ("c", "2031-01-22")]
    items = [Item(n, _at(d), "x", i, True) for i, (n, d) in enumerate(chain)]
    assert lint(items, zone=LA, release_at=None, team=Team(), now=NOW) == []
    typo = [*items[:1], Item("b", _at("2030-01-08"), "x", 1, True), items[2]]
    found = lint(typo, zone=LA, release_at=None, team=Team(), now=NOW)
    assert [(f.milestone, f.rule, f.suggested) for f in found] == [("b", YEAR, date(2031, 1, 8))]


def test_the_order_rule_blames_the_milestone_that_moved() -> None:
    days = ["2030-03-01", "2030-03-08", "2030-02-01", "2030-03-22"]
    items = [Item(f"m{i}", _at(d), "t", i, True) for i, d in enumerate(days)]
    found = lint(items, zone=LA, release_at=None, team=Team(), now=NOW)
    assert [(f.milestone, f.rule, f.other) for f in found] == [("m2", ORDER, "m1")]
    assert (
        lint(
            [Item(f"m{i}", _at(d), "own", i) for i, d in enumerate(days)],
            zone=LA,
            release_at=None,
            team=Team(),
            now=NOW,
        )
        == []
    )
