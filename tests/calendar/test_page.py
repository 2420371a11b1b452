"""The release page as HTML: escaped everywhere, no Slack ids or secrets, complete without JS."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.calendar import page
from bot.calendar import service as calendars
from bot.checklist import render as checklist_render
from bot.checklist import service as checklists
from bot.core.db import Database
from bot.release.models import Release
from handlers.calendar import serve
from tests.calendar import builders as b

HOSTILE = "<script>alert(1)</script>"
SLACK_ID = re.compile(r"\b[UWBSC]0[A-Z0-9]{6,}\b")


def render(db: Database, release_id: int, now: datetime = b.NOW, **kwargs: object) -> str:
    with db.read() as s:
        release = s.get(Release, release_id)
        assert release is not None
        data = calendars.page_data(s, release, now, parts=b.page_parts(db))
    return page.render(data, **kwargs)  # type: ignore[arg-type]


def test_hostile_text_is_shown_as_text(db: Database) -> None:
    rel, _ = b.release(db, name=f"v1 {HOSTILE}")
    b.checklist(db, rel, ["Tag", HOSTILE, "Publish"], done=1)
    b.gates(db, rel, [HOSTILE])
    b.poll(db, rel, f"Go? {HOSTILE} <a href=x>", {}, [b.LEAD])
    html = render(db, rel.id or 0)

    assert HOSTILE not in html
    assert "<a href=x>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # title, name, step, gate
    assert html.count("<script") == 1  # the page's own, and only it


def test_no_slack_ids_tokens_or_gate_secrets_on_the_page(db: Database) -> None:
    built = b.full_release(db, series_count=3, gate_count=6)
    html = render(db, built.release.id or 0)

    assert SLACK_ID.findall(html) == []
    assert built.token not in html
    assert "SECRETTOKEN" not in html and "ci.example" not in html
    assert "<@" not in html and "subteam" not in html
    assert "cc lead and @release-team" in html
    assert "a team member" in html


def test_role_holders_by_the_names_given(db: Database) -> None:
    built = b.full_release(db)
    names = {b.LEAD: "Ada Lovelace", b.DOCS: "Grace <Hopper>"}
    html = render(db, built.release.id or 0, names=lambda u: names.get(u, "someone"))
    assert "Ada Lovelace" in html
    assert "Grace &lt;Hopper&gt;" in html
    assert SLACK_ID.findall(html) == []


def test_the_page_shows_progress_gates_tally_and_meetings(db: Database) -> None:
    built = b.full_release(db, series_count=2, gate_count=3)
    html = render(db, built.release.id or 0)

    assert "Release v1.40" in html and "release day" in html
    assert "12/30 done." in html
    assert html.count('class="step done"') == 12
    assert html.count('class="step active"') == 1
    assert "running for" in html and "took 7m" in html
    assert html.count('class="gate ') == 3
    assert 'class="gate failing"' in html
    assert '<time datetime="2027-03-17T17:50:00Z">Wed 17 Mar 2027, 10:50 PDT</time>' in html
    tally = re.sub(r"\s+", " ", html[html.index('class="tally"') :][:300])
    assert "<b>1</b> Go" in tally and "<b>1</b> No-Go" in tally and "<b>1</b> of 3" in tally
    meetings = html[html.index('id="meetings"') :]
    starts = re.findall(r'<time datetime="([^"]+)"', meetings.split("</section>")[0])
    assert len(starts) == 5 and starts == sorted(starts)
    assert "2027-03-19T16:00:00Z" not in starts  # the first series skips Fri 19 Mar
    assert '<time datetime="2027-03-17T17:00:00Z">Wed 17 Mar 2027, 10:00 PDT</time>' in html


def test_it_refreshes_itself_on_release_day_only(db: Database) -> None:
    rel, _ = b.release(db)
    html = render(db, rel.id or 0)
    # The script reloads it, and the reader can pause that (no meta refresh: WCAG 2.2.1).
    assert '<p id="refresh" data-refresh="60" hidden>' in html
    assert '<button type="button" id="refresh-toggle" aria-pressed="false">' in html
    assert "http-equiv" not in html
    before = datetime(2027, 3, 10, 12, tzinfo=UTC)
    assert '<p id="refresh"' not in render(db, rel.id or 0, now=before)


def test_a_release_with_nothing_yet(db: Database) -> None:
    rel, _ = b.release(db, release_at=None)
    html = render(db, rel.id or 0, now=datetime(2027, 1, 4, tzinfo=UTC))
    assert "Release day is not set yet." in html
    assert "No checklist has started yet." in html
    assert "No meetings planned." in html
    assert 'id="poll"' not in html


def test_plain_turns_slack_markup_into_words() -> None:
    def names(user: str) -> str:
        return {"U0AAAA0001": "Ada"}.get(user, "someone")

    assert page.plain("hi <@U0AAAA0001>", names) == "hi Ada"
    assert page.plain("<!here> see <#C0123456|release>", names) == "@here see #release"
    assert page.plain("<https://x.example/a|the doc> <https://y.example>", names) == (
        "the doc https://y.example"
    )
    assert page.plain("<!subteam^S0TEAM01>", names) == "a group"


def test_next_meetings_merge_every_series_in_order(db: Database) -> None:
    rel, _ = b.release(db)
    b.series(db, rel, at="09:00", start=date(2027, 3, 1))
    b.series(db, rel, at="18:00", zone="Europe/Berlin", start=date(2027, 3, 1))
    with db.read() as s:
        release = s.get(Release, rel.id)
        assert release is not None
        data = calendars.page_data(s, release, b.NOW, meetings=6, parts=b.page_parts(db))
    starts = [m.at for m in data.meetings]
    assert starts == sorted(starts) and len(starts) == 6
    assert {m.zone for m in data.meetings} == {"America/Los_Angeles", "Europe/Berlin"}


def test_gates_show_their_history_and_only_counting_gates_a_chart(db: Database) -> None:
    built = b.full_release(db, series_count=1, gate_count=15)
    b.gates(db, built.release, [HOSTILE])
    html = render(db, built.release.id or 0)

    charts = re.findall(r'<img class="chart" src="data:image/png;base64,([^"]+)"', html)
    assert len(charts) == 2  # gate-04 and gate-14 count blockers; the others do not
    assert all(base64.b64decode(c)[:8] == b"\x89PNG\r\n\x1a\n" for c in charts)
    assert 'alt="Burndown of gate gate-04:' in html and 'alt="Burndown of gate gate-14:' in html
    gate = html[html.index("gate-01</span>") :].split("</li>")[0]
    # Green until 40 minutes before now, red since: 40 minutes red, the last results newest last.
    assert "red for 40m in total, 40m at the longest" in gate
    assert 'aria-label="pass, fail, fail, newest last">✓ ✗ ✗<' in gate
    assert "never red" in html[html.index("gate-00</span>") :].split("</li>")[0]
    # gate-04 burns 9 down to 0, red again at 2, green at the end.
    counting = html[html.index("gate-04</span>") :].split("</li>")[0]
    assert "last results" in counting and "✓ ✓ ✗ ✗ ✓" not in counting
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and HOSTILE not in html


def test_a_chart_is_drawn_once_and_reused_until_its_data_or_time_step_changes(
    db: Database,
) -> None:
    built = b.full_release(db, series_count=1, gate_count=5)
    page.chart_uri.cache_clear()
    first = render(db, built.release.id or 0)
    again = render(db, built.release.id or 0, now=b.NOW + timedelta(minutes=1))
    info = page.chart_uri.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    chart = re.findall(r'src="(data:image/png[^"]+)"', first)
    assert chart == re.findall(r'src="(data:image/png[^"]+)"', again)
    render(db, built.release.id or 0, now=b.NOW + page.CHART_STEP)
    assert page.chart_uri.cache_info().misses == 2


def test_the_csp_lets_the_inline_chart_through_and_nothing_else(db: Database) -> None:
    built = b.full_release(db, series_count=1, gate_count=5)
    status, headers, body = serve(b.services_for(db), "GET", f"/r/{built.token}") or ("", [], b"")
    assert status == "200 OK"
    policy = dict(headers)["Content-Security-Policy"]
    assert "img-src data:;" in policy and "default-src 'none'" in policy
    assert b'src="data:image/png;base64,' in body
    assert b' style="' not in body  # inline style attributes would be blocked


def _slack_board(db: Database, checklist_id: int) -> tuple[str, dict[int, str]]:
    """The Slack checklist message's progress and its steps, number to state, as it shows them."""
    with db.read() as s:
        board = checklists.board(s, checklist_id)
        _, blocks = checklist_render.board_message(board)
    text = json.dumps(blocks)
    progress = re.findall(r"\d+/\d+ done", text)
    icons = {icon: state for state, icon in checklist_render.ICONS.items()}
    shown = re.findall(r"(:[a-z_]+:) \*(\d+)\. ", text)
    return progress[0], {int(number): icons[icon] for icon, number in shown}


def _page_board(html: str) -> tuple[str, dict[int, str]]:
    progress = re.search(r'id="checklist-progress">(\d+/\d+ done)', html)
    assert progress is not None
    shown = re.findall(
        r'<li class="step (\w+)">\s*<span[^>]*>[^<]*</span>\s*'
        r'<span class="title">(\d+)\. ',
        html,
    )
    return progress.group(1), {int(number): state for state, number in shown}


@pytest.mark.parametrize(
    "states",
    [
        ["skipped", "done", "skipped", "done", "active", "pending", "pending"],
        ["done", "skipped", "waiting", "pending"],
        ["skipped", "skipped", "active"],
        ["done"] * 8 + ["skipped"] * 3 + ["done"] * 6 + ["waiting"] + ["pending"] * 12,
    ],
    ids=["active after skips", "waiting", "all but the last skipped", "thirty steps"],
)
def test_the_page_counts_and_numbers_steps_as_the_slack_message(
    db: Database, states: list[str]
) -> None:
    rel, _ = b.release(db)
    titles = [f"Step {n}" for n in range(1, len(states) + 1)]
    cid = b.checklist(db, rel, titles, done=0, states=states)
    html = render(db, rel.id or 0)

    slack_progress, slack_steps = _slack_board(db, cid)
    page_progress, page_steps = _page_board(html)
    finished = sum(1 for state in states if state in ("done", "skipped"))
    assert page_progress == slack_progress == f"{finished}/{len(states)} done"
    # Every step the Slack message shows has the same number and state on the page.
    assert slack_steps and all(page_steps[n] == state for n, state in slack_steps.items())
    assert page_steps == {n: state for n, state in enumerate(states, start=1)}
    current = states.index(next(s for s in states if s not in ("done", "skipped"))) + 1
    assert f"<b>Now:</b> {current}. Step {current} " in html
    if "skipped" in states:
        assert f"({states.count('skipped')} of them skipped)" in html
