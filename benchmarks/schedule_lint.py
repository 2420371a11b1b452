"""How long reading a published schedule and linting it take, on the real fixture files.

`python -m benchmarks.schedule_lint`: each file is recognised and read 50 times, then its
entries are linted 20 times for a team of 200 members in five countries (every day checked
for weekends and each country's public holidays). Pure: no network, no database, no Slack.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.schedule.lint import Item, Team, lint
from bot.schedule.upstream import formats, kubernetes, openstack
from bot.schedule.upstream.formats import Parsed

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "schedule" / "fixtures"
FILES = {
    "k8s-website-schedule.yaml": "1.28",
    "sig-release-1.37-README.md": None,
    "openstack-indri-schedule.yaml": "indri",
}
ZONES = ("America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney")
LA = ZoneInfo("America/Los_Angeles")


def read(text: str, hint: str | None) -> Parsed:
    """The file's schedule, as an import reads it."""
    kind = formats.recognise(text)
    if kind == formats.KUBERNETES_PATCHES:
        return kubernetes.parse_patches(text, hint)
    if kind == formats.SIG_RELEASE:
        return kubernetes.parse_timeline(text)
    return openstack.parse_openstack(text, hint)


def main() -> None:
    team = Team(tuple((f"U{i}", ZoneInfo(ZONES[i % 5])) for i in range(200)))
    print("| file | entries | read (ms) | lint, 200 members (ms) | findings |")
    print("| --- | --- | --- | --- | --- |")
    for name, hint in FILES.items():
        text = (FIXTURES / name).read_text(encoding="utf-8")
        started = time.perf_counter()
        for _ in range(50):
            parsed = read(text, hint)
        reading = (time.perf_counter() - started) / 50
        items = [
            Item(
                e.name,
                e.instant(LA)[0],
                e.chain,
                e.seq,
                True,
                e.after_release,
                e.history,
                e.marks == "release",
            )
            for e in parsed.entries
        ]
        started = time.perf_counter()
        for _ in range(20):
            found = lint(
                items, zone=LA, release_at=None, team=team, now=datetime(2020, 1, 1, tzinfo=UTC)
            )
        linting = (time.perf_counter() - started) / 20
        print(
            f"| {name} | {len(items)} | {reading * 1000:.1f} | {linting * 1000:.1f} | "
            f"{len(found)} |"
        )


if __name__ == "__main__":
    main()
