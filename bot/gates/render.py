"""Block Kit for gates: the gate card, alerts, re-pings, recovery notes, lists. Pure.

Owners are passed in as resolved (people and the holders of the gate's roles, now); a
renderer given none shows the people the gate names.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.blocks import Blocks, actions, button, context, mrkdwn
from bot.core.text.escape import escape, quoted, shorten
from bot.core.text.fit import cut, fit_lines
from bot.core.text.timefmt import duration, when
from bot.gates import ids
from bot.gates.alerting import FAILING, PASSING, UNKNOWN, UNSURE, YELLOW
from bot.gates.models import CHECKED, GITHUB, MANUAL, PUSH, TESTGRID, Gate
from bot.gates.outcome import load_findings
from bot.gates.signal import render as signal
from bot.release.escalation import BACKUP, LEADS, SHADOW, Climb, Rung, why_text
from bot.release.groups import mentions
from bot.release.models import Release
from bot.release.render import on_behalf, where

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
USER = re.compile(r"[UW][A-Z0-9_]{1,20}")
SECTION_ROOM = 2_900  # one section's text (Slack: 3,000)
STATUS_ROOM = 2_700  # the gates section of `/release status`, under its title
TEXT_ROOM = 39_000  # a message's text (Slack: 40,000)
MAX_BLOCKS = 50
FINDINGS_ROOM = 2_400  # the open items or jobs inside one section
ICONS = {
    PASSING: ":large_green_circle:",
    FAILING: ":red_circle:",
    YELLOW: ":large_yellow_circle:",
    UNKNOWN: ":white_circle:",
}
WORDS = {PASSING: "passing", FAILING: "failing", YELLOW: "yellow", UNKNOWN: "not decided yet"}
RESULT_WORDS = {"pass": "passed", "fail": "failed", "yellow": "yellow", UNSURE: "could not tell"}
RESULT_ICONS = {
    "pass": ":white_check_mark:",
    "fail": ":x:",
    "yellow": ":large_yellow_circle:",
    UNSURE: ":grey_question:",
}


def code(text: str, limit: int = 200) -> str:
    """User text shown as inline code: escaped, shortened, without backticks of its own."""
    return quoted(text, limit)


def every(seconds: int) -> str:
    """A check interval like `10m`."""
    return duration(timedelta(seconds=seconds))


def what(gate: Gate) -> str:
    """What the gate checks, on one line."""
    if gate.kind == PUSH:
        return (
            "push: CI reports its result through the API; unknown after "
            f"{every(gate.interval_seconds)} without a report"
        )
    if gate.kind not in CHECKED:
        return "manual: its owners mark it passing or failing"
    spec = gate.asked()
    if gate.kind == GITHUB:
        parts = [f"GitHub search {code(str(spec.get('query', '')), 260)}", "green at 0 results"]
    elif gate.kind == TESTGRID:
        parts = [f"TestGrid {_dashboards(spec.get('blocking'))}"]
        if spec.get("informing"):
            parts.append(f"informing {_dashboards(spec.get('informing'))}")
    else:
        parts = [f"GET {code(gate.url or '', 300)}"]
        if gate.expect:
            parts.append(f"expect {code(gate.expect)}")
        if gate.headers:
            parts.append("with headers")
    if gate.alert_yellow:
        parts.append("yellow alerts too")
    parts.append(f"every {every(gate.interval_seconds)}")
    return " · ".join(parts)


def _dashboards(names: object) -> str:
    found = [str(name) for name in names] if isinstance(names, list) else []
    return ", ".join(code(name, 100) for name in found) or "—"


def owned_by(gate: Gate, owners: list[str] | None = None) -> str:
    """The owners as mentions, and the roles they hold the gate by."""
    people = mentions(gate.owner_ids() if owners is None else owners)
    roles = gate.role_names()
    if not roles:
        return people
    named = ", ".join(f"`{escape(role)}`" for role in roles)
    return f"{people} (role{'s' if len(roles) > 1 else ''} {named})"


def state_line(gate: Gate, zone: ZoneInfo) -> str:
    """Icon, name, state and since-when."""
    word = WORDS.get(gate.state, gate.state)
    if gate.state == UNKNOWN and gate.last_result == UNSURE:
        word = "unknown"
    line = f"{ICONS.get(gate.state, '')} `{gate.name}` {word}"
    if gate.state_since and (gate.state != UNKNOWN or gate.last_result == UNSURE):
        line += f" since {when(gate.state_since, zone)}"
    if gate.state == UNKNOWN and gate.kind in CHECKED and not gate.last_checked_at:
        line += " (first check pending)"
    if gate.state == UNKNOWN and gate.kind == PUSH and not gate.last_checked_at:
        line += " (no report yet)"
    return line


def last_check(gate: Gate, zone: ZoneInfo) -> str | None:
    """When the gate was last checked and what was seen."""
    if not gate.last_checked_at:
        return None
    if gate.kind == MANUAL:
        by = f" by <@{gate.last_detail}>" if USER.fullmatch(gate.last_detail or "") else ""
        return f"Last set {when(gate.last_checked_at, zone)}{by}."
    seen = escape(shorten(gate.last_detail or "", 300))
    verdict = RESULT_WORDS.get(gate.last_result or "", gate.last_result or "")
    streak = f" ({gate.fail_streak} in a row)" if gate.fail_streak > 1 else ""
    if gate.kind == PUSH:
        return f"Last report {when(gate.last_checked_at, zone)}: {verdict}{streak}. {seen}".strip()
    return f"Last check {when(gate.last_checked_at, zone)}: {verdict}{streak}. {seen}".strip()


def card(gate: Gate, zone: ZoneInfo, owners: list[str] | None = None) -> tuple[str, Blocks]:
    """The gate's message in the channel, updated in place; manual gates get buttons."""
    text = f"Gate {gate.name}: {WORDS.get(gate.state, gate.state)}"
    blocks: Blocks = [
        mrkdwn(f"*Gate* {state_line(gate, zone)}"),
        context(f"{what(gate)} · owners {owned_by(gate, owners)}"),
    ]
    seen = last_check(gate, zone)
    if seen:
        blocks.append(context(seen))
    if gate.kind == MANUAL:
        blocks.append(actions(set_buttons(gate), block_id=f"gate-{gate.id}"))
    return text, blocks


def set_buttons(gate: Gate) -> Blocks:
    """Mark passing / Mark failing, each offered unless the gate already is that."""
    assert gate.id is not None
    buttons = []
    if gate.state != PASSING:
        value = ids.encode_set(gate.id, gate.version, to_pass=True)
        buttons.append(button("Mark passing", ids.SET_PASS, value, style="primary"))
    if gate.state != FAILING:
        value = ids.encode_set(gate.id, gate.version, to_pass=False)
        buttons.append(button("Mark failing", ids.SET_FAIL, value, style="danger"))
    return buttons


def removed(name: str, actor: str) -> tuple[str, Blocks]:
    """A removed gate's card."""
    text = f"Gate {name} was removed."
    return text, [mrkdwn(f":wastebasket: Gate `{name}` was removed by <@{actor}>.")]


def removed_note(name: str) -> str:
    """The caller's confirmation of a removed gate."""
    return f"Gate `{name}` is removed."


def alert(
    gate: Gate,
    zone: ZoneInfo,
    owners: list[str] | None = None,
    now: datetime | None = None,
) -> tuple[str, Blocks]:
    """The one alert of a turn to red (or to an alerting yellow), mentioning the owners.

    A native gate's alert lists what it found: the open items, the jobs not passing.
    """
    who = mentions(gate.owner_ids() if owners is None else owners)
    word = WORDS.get(gate.state, gate.state)
    icon = ICONS.get(gate.state, ":red_circle:")
    text = f"Gate {gate.name} is {word}. {who}, please take a look."
    checks = "yellow checks" if gate.state == YELLOW else "failed checks"
    streak = f" after {gate.fail_streak} {checks} in a row" if gate.fail_streak > 1 else ""
    found = load_findings(gate.findings)
    count = f" ({signal.counted(found)})" if found else ""
    blocks: Blocks = [
        mrkdwn(f"{icon} *Gate `{gate.name}` is {word}*{count}{streak}. {who}, please take a look."),
    ]
    listing = signal.fitted(found, now or gate.last_checked_at or EPOCH, zone, FINDINGS_ROOM)
    if listing:
        blocks.append(mrkdwn(listing))
    else:
        seen = last_check(gate, zone)
        if seen:
            blocks.append(context(seen))
    blocks.append(context(f"{what(gate)} · reminders follow in this thread while it stays {word}"))
    return text, blocks


def reping(
    gate: Gate,
    now: datetime,
    zone: ZoneInfo,
    owners: list[str] | None = None,
) -> tuple[str, Blocks]:
    """A reminder to the owners while the gate stays red (the ladder asks anyone else)."""
    red = duration(now - gate.state_since) if gate.state_since else "a while"
    who = mentions(gate.owner_ids() if owners is None else owners)
    word = WORDS.get(gate.state, gate.state)
    color = "yellow" if gate.state == YELLOW else "red"
    line = f":rotating_light: `{gate.name}` is still {word} ({color} for {red}). {who}"
    seen = last_check(gate, zone)
    text = f"Gate {gate.name} is still {word} ({color} for {red}). {who}"
    return text, [mrkdwn(cut(line, SECTION_ROOM)), *([context(seen)] if seen else [])]


def asked(
    gate: Gate, climb: Climb, before: Rung, red_for: timedelta, owners: list[str]
) -> tuple[str, Blocks]:
    """The next rungs of the ladder asked about a red gate, each with why the one before
    could not answer (off hours, away, on holiday) or did not (no answer in its wait)."""
    assert climb.told is not None
    word = WORDS.get(gate.state, gate.state)
    since = (
        f"has been {word} for {duration(red_for)}" if red_for >= MINUTE else f"just turned {word}"
    )
    lines: list[str] = []
    previous, answerless = before, climb.answerless
    for rung in climb.told.rungs:
        lines.append(f"{_moved_on(previous, answerless)}, so I am asking {_rung_name(rung)}.")
        lines.append(_ask(gate, rung, since, owners))
        previous, answerless = rung, False
    following = climb.told.following
    if following is not None:
        wait = duration(climb.told.rungs[-1].wait)
        lines.append(f"_If it is still {word} in {wait}, I will ask {_rung_name(following)}._")
    elif not previous.awake:
        lines.append(f":zzz: {why_text(previous)}; there is nobody after them to ask.")
    text = cut("\n".join(lines), SECTION_ROOM)
    return text, [mrkdwn(text)]


def _moved_on(rung: Rung, answerless: bool) -> str:
    """Why the ladder moved past a rung: no answer in its wait, or why they cannot answer."""
    if answerless:
        return f":hourglass: No answer from {mentions(rung.holders)} in {duration(rung.wait)}"
    return f":zzz: {why_text(rung) or mentions(rung.holders) + ' cannot answer now'}"


def _rung_name(rung: Rung) -> str:
    if rung.label == BACKUP:
        return f"the backup ({mentions(rung.holders)})"
    if rung.label == LEADS:
        return f"the lead ({mentions(rung.holders)})"
    return f"the owners ({mentions(rung.holders)})"


def _ask(gate: Gate, rung: Rung, since: str, owners: list[str]) -> str:
    who = mentions(rung.holders)
    owned = f" Owners: {mentions(owners)}." if owners else ""
    if rung.label == BACKUP:
        role = escape(rung.role.replace(SHADOW, ""))
        return (
            f":sos: {who}, backup for *{role}*: `{gate.name}` {since}. Can you take it over?{owned}"
        )
    return f":rotating_light: {who}: `{gate.name}` {since}; pulling you in.{owned}"


def recovered(gate: Gate, red_for: timedelta | None) -> tuple[str, Blocks]:
    """The note when a failing gate passes again (or turns a quiet yellow), with how long."""
    span = f" after {duration(red_for)} red" if red_for is not None else ""
    if gate.state == YELLOW:
        text = f"Gate {gate.name} is no longer failing{span}; it is yellow now."
        line = f":large_yellow_circle: Gate `{gate.name}` is no longer failing{span}; "
        return text, [mrkdwn(line + "it is yellow now, not good enough to pass.")]
    text = f"Gate {gate.name} is passing again{span}."
    return text, [mrkdwn(f":large_green_circle: Gate `{gate.name}` is passing again{span}.")]


def added(
    gate: Gate,
    unset: tuple[str, ...] = (),
    *,
    owners: list[str] | None = None,
    hints: tuple[str, ...] = (),
) -> str:
    """The caller's confirmation of a new gate, warning of variables the bot has no value for."""
    first = " Its first check runs now." if gate.kind in CHECKED else ""
    if gate.kind == PUSH:
        first = (
            f" Report to it from CI with `POST /api/v1/releases/{gate.release_id}/gates/"
            f"{gate.name}/reports` and a write token (`/release token add NAME write`)."
        )
    who = owned_by(gate, owners)
    text = f"Gate `{gate.name}` added ({what(gate)}), owned by {who}.{first}"
    if unset:
        names = ", ".join(f"`${{{v}}}`" for v in unset)
        text += f"\n:warning: {names} is not set for the bot, so checks fail until it is."
    for hint in hints:
        text += f"\n:information_source: {hint}"
    return text


def listing(
    gates: list[Gate],
    zone: ZoneInfo,
    owners: dict[int, list[str]] | None = None,
    now: datetime | None = None,
) -> tuple[str, Blocks | None]:
    """Every gate of the release, for `/gate list`: each gate whole, as many as Slack takes."""
    if not gates:
        return (
            "This release has no gates yet. Add one with `/gate add NAME URL`, "
            "`/gate github NAME QUERY`, `/gate testgrid NAME DASHBOARD` or `/gate manual NAME`.",
            None,
        )
    summary = f"*Gates* ({tally(gates)})"
    owned = owners or {}
    entries = [entry(gate, zone, owned.get(gate.id or 0), now) for gate in gates]
    groups = pack(entries, SECTION_ROOM)
    if len(groups) > MAX_BLOCKS - 1:  # cannot happen at 50 gates; said, never dropped silently
        kept = groups[: MAX_BLOCKS - 2]
        left = sum(len(group) for group in groups[len(kept) :])
        groups = [*kept, [f"_…and {left} more: `/gate list NAME` shows one gate_"]]
    blocks = [mrkdwn(summary), *(mrkdwn("\n\n".join(group)) for group in groups)]
    return f"Gates: {tally(gates)}", blocks


def tally(gates: list[Gate]) -> str:
    """How many gates there are and how many are failing, yellow or undecided."""
    counts = {state: sum(1 for g in gates if g.state == state) for state in WORDS}
    parts = [f"{len(gates)} gate{'s' if len(gates) != 1 else ''}"]
    parts += [f"{counts[s]} {WORDS[s]}" for s in (FAILING, YELLOW, UNKNOWN) if counts[s]]
    return ", ".join(parts)


def signal_line(gates: list[Gate]) -> str | None:
    """One line of the gates' signal, for a go/no-go poll: not green ones named, worst first."""
    if not gates:
        return None
    order = {FAILING: 0, YELLOW: 1, UNKNOWN: 2}
    off = sorted((g for g in gates if g.state != PASSING), key=lambda g: (order[g.state], g.name))
    if not off:
        return f":large_green_circle: Gates: all {len(gates)} passing."
    shown = [f"{ICONS[g.state]} `{g.name}` {WORDS[g.state]}" for g in off]
    named = fit_lines(shown, 1_500, lambda n: f"…and {n} more", sep=", ")
    green = len(gates) - len(off)
    return f"*Gates* ({tally(gates)}; {green} passing): {named}"


def entry(
    gate: Gate, zone: ZoneInfo, owners: list[str] | None = None, now: datetime | None = None
) -> str:
    """One gate of `/gate list`: state and owners, what it checks, what was last seen and found."""
    lines = [f"{state_line(gate, zone)} · owners {owned_by(gate, owners)}", what(gate)]
    seen = last_check(gate, zone)
    if seen:
        lines.append(seen)
    head = cut("\n".join(lines), SECTION_ROOM)
    found = load_findings(gate.findings)
    room = SECTION_ROOM - len(head) - 1
    listing = signal.fitted(found, now or gate.last_checked_at or EPOCH, zone, room)
    return f"{head}\n{listing}" if listing and room > 200 else head


def pack(entries: list[str], room: int) -> list[list[str]]:
    """Whole entries grouped in order, each group at most `room` characters once joined."""
    groups: list[list[str]] = []
    used = room + 1
    for text in entries:
        if used + 2 + len(text) > room:
            groups.append([])
            used = -2
        groups[-1].append(text)
        used += 2 + len(text)
    return groups


def status_lines(
    gates: list[Gate],
    zone: ZoneInfo,
    room: int = STATUS_ROOM,
    owners: dict[int, list[str]] | None = None,
) -> list[str]:
    """`/release status`: a line per gate, failing first, whole lines that fit, the rest counted."""
    order = {FAILING: 0, YELLOW: 1, UNKNOWN: 2, PASSING: 3}
    ranked = sorted(gates, key=lambda g: (order.get(g.state, 4), g.name))
    owned = owners or {}
    lines = []
    for gate in ranked:
        line = state_line(gate, zone)
        if gate.state == FAILING:
            line += f" · {mentions(owned.get(gate.id or 0, gate.owner_ids()))}"
        lines.append(line)

    def more(left: int) -> str:
        red = sum(1 for g in ranked[len(ranked) - left :] if g.state == FAILING)
        among = f", {red} of them failing" if red else ""
        return f"_…and {left} more gates{among}: `/gate list` shows every gate_"

    return fit_lines(lines, room, more).split("\n")


def checking(started: list[str], joined: list[str]) -> str:
    """The asker's note of what `/gate check` set going, and what was being checked already."""
    if not joined:
        return f"Checking {_gates(started)} now; the results follow."
    if not started:
        who = f"`{joined[0]}` is" if len(joined) == 1 else f"All {len(joined)} gates are"
        return (
            f"{who} being checked already: I join that check instead of asking again, "
            "and tell you what it finds."
        )
    return (
        f"Checking {_gates(started)} now; {len(joined)} more {_were(joined)} being checked "
        "already, and I join those checks instead of repeating them. The results follow."
    )


def _gates(names: list[str]) -> str:
    return f"`{names[0]}`" if len(names) == 1 else f"{len(names)} gates"


def _were(names: list[str]) -> str:
    return "was" if len(names) == 1 else "were"


def set_by_owners(gate: Gate) -> str:
    """Why `/gate check NAME` does not check a manual gate."""
    return f"`{gate.name}` is a manual gate, set by its owners; it is {gate.state}."


def results(rows: list[tuple[str, str | None, str]]) -> str:
    """The outcome of `/gate check` for the caller: name, result (None: not checked), detail."""
    if not rows:
        return "There are no checked gates in this release (manual gates are set by buttons)."
    lines = []
    for name, result, detail in rows:
        icon = RESULT_ICONS.get(result or "", ":white_circle:")
        lines.append(f"{icon} `{name}`: {escape(shorten(detail, 300))}")
    return fit_lines(lines, TEXT_ROOM, lambda n: f"_…and {n} more: `/gate list` shows them_")


def home_red_gate(release: Release, gate: Gate, group: str | None) -> Blocks:
    """App Home: a red gate the person owns (through `group`, if not in person), and where."""
    line = f":rotating_light: *Your gate is red:* {state_line(gate, ZoneInfo(release.zone))}"
    return [mrkdwn(f"{line}{on_behalf(group)} ({where(release)})")]
