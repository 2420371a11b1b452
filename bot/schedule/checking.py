"""The release's milestones as lint sees them: which chain each belongs to, in what order.

A milestone from an imported file follows the file's order (and what the file says of it);
one from a template follows the template's order; a lead's own milestones follow the order
they were added, for the year rule only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.errors import DomainError
from bot.release.models import Release
from bot.schedule import imports, templates
from bot.schedule import service as schedule
from bot.schedule.lint import Finding, Item, Team, lint
from bot.schedule.models import Milestone


def items_of(
    session: Session,
    release: Release,
    templates_dir: Path | None,
    fresh: frozenset[int] = frozenset(),
) -> list[Item]:
    """Every milestone of the release as a lint item; `fresh` ids were just imported."""
    assert release.id is not None
    from_source = imports.entry_by_milestone(session, release.id)
    orders: dict[str, dict[str, int]] = {}
    found: list[Item] = []
    for milestone in schedule.milestones(session, release.id):
        assert milestone.id is not None
        entry = from_source.get(milestone.id)
        is_release = milestone.marks == schedule.RELEASE
        if entry is not None:
            found.append(
                Item(
                    milestone.name,
                    milestone.at,
                    f"source:{entry.chain}",
                    entry.seq,
                    True,
                    entry.after_release,
                    entry.history,
                    is_release,
                    milestone.id in fresh,
                )
            )
        elif milestone.template:
            order = orders.setdefault(milestone.template, _order(templates_dir, milestone.template))
            seq = order.get(milestone.key, -1)
            found.append(
                Item(
                    milestone.name,
                    milestone.at,
                    f"template:{milestone.template}",
                    seq,
                    seq >= 0,
                    seq > order.get("", len(order)),
                    is_release=is_release,
                )
            )
        else:
            found.append(
                Item(
                    milestone.name, milestone.at, "own", milestone.id, False, is_release=is_release
                )
            )
    return found


def _order(templates_dir: Path | None, name: str) -> dict[str, int]:
    """The template's milestones' places by key; "" holds the place of its release day."""
    try:
        template = templates.named(templates_dir, name)
    except DomainError:
        return {}
    order = {schedule.key_of(spec.name): n for n, spec in enumerate(template.milestones)}
    release = [n for n, spec in enumerate(template.milestones) if spec.marks == schedule.RELEASE]
    if release:
        order[""] = release[0]
    return order


def check(
    session: Session,
    release: Release,
    team: Team,
    now: datetime,
    templates_dir: Path | None,
    fresh: frozenset[int] = frozenset(),
) -> list[Finding]:
    """Every lint finding about the release's milestones."""
    items = items_of(session, release, templates_dir, fresh)
    return lint(
        items, zone=ZoneInfo(release.zone), release_at=release.release_at, team=team, now=now
    )


def about(findings: list[Finding], milestones: list[Milestone]) -> list[Finding]:
    """The findings that concern these milestones (as the one named, or the one compared)."""
    names = {m.name for m in milestones}
    return [f for f in findings if f.milestone in names or (f.other or "") in names]
