"""/release schedule and /release milestone driven as Slack drives them, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from bot.schedule import templates
from bot.schedule.models import Milestone
from tests.conftest import RunningBot
from tests.schedule.builders import LEAD, OTHER, posts_with, say, send, shown, token
from tests.schedule.conftest import Bots
from tests.support.release import mrkdwn_of

LA = ZoneInfo("America/Los_Angeles")
RELEASE_DAY = datetime(2030, 4, 24, 17, 0, tzinfo=UTC)  # Wed 24 Apr 2030, 10:00 PDT
CODE_FREEZE = datetime(2030, 3, 22, 2, 0, tzinfo=UTC)  # R-33d, 02:00 UTC on a Friday


def start(bot: RunningBot) -> None:
    assert "lead" in say(bot, "new v1.33 on 2030-04-24 10:00 America/Los_Angeles")


def count(bot: RunningBot) -> int:
    with bot.services.db.read() as s:
        return int(s.exec(select(func.count()).select_from(Milestone)).one())


def test_apply_kubernetes_shows_every_milestone_at_its_offset_for_every_reader(
    sbot: RunningBot,
) -> None:
    start(sbot)
    answer = say(sbot, "schedule apply kubernetes")
    assert "Laid out the *kubernetes* schedule" in answer and "12 milestones" in answer
    laid_out = sbot.fake.wait_for(lambda: posts_with(sbot, "laid out the *kubernetes* schedule"))
    assert token(CODE_FREEZE) in mrkdwn_of(laid_out[0])
    listing = shown(send(sbot, "schedule", user=OTHER))
    for spec in templates.builtins()["kubernetes"].milestones:
        assert spec.offset is not None
        at, _ = spec.offset.resolve(RELEASE_DAY, LA)
        assert token(at) in listing, spec.name
    assert token(CODE_FREEZE) + "{date_short_pretty} at {time}|Thu 21 Mar 2030 19:00 PDT" in listing
    assert "`-33d 02:00 UTC` from release day" in listing
    assert "announced 4w, 1w, 1d and 1h before" in listing
    status = shown(send(sbot, "status", user=OTHER))
    assert "Next milestones" in status and "Release cycle begins" in status
    assert "9 more ahead" in status and "Code and test freeze" not in status


def test_add_with_a_date_alone_is_the_end_of_that_day_and_the_channel_hears(
    sbot: RunningBot,
) -> None:
    start(sbot)
    answer = say(sbot, "milestone add Docs freeze 2030-04-03 owner docs -- PRs merged & ready")
    assert "Added milestone *Docs freeze*" in answer
    assert "23:59 America/Los_Angeles" in answer
    end_of_day = datetime(2030, 4, 4, 6, 59, tzinfo=UTC)
    assert token(end_of_day) in answer
    post = sbot.fake.wait_for(lambda: posts_with(sbot, "added milestone *Docs freeze*"))
    text = mrkdwn_of(post[0])
    assert "PRs merged &amp; ready" in text
    assert "`docs` (nobody holds it, so it falls to the lead)" in text and f"<@{LEAD}>" in text


def test_relative_dates_and_a_date_after_release_day_warns(sbot: RunningBot) -> None:
    start(sbot)
    answer = say(sbot, "milestone add Branch cut R-21d 18:00 UTC")
    assert "follows release day (`-21d 18:00 UTC`)" in answer
    assert token(datetime(2030, 4, 3, 18, 0, tzinfo=UTC)) in answer
    late = say(sbot, "milestone add Retro 2030-05-02 16:00")
    assert "after* release day" in late and count(sbot) == 2


def test_move_is_announced_with_the_reason_and_remove_too(sbot: RunningBot) -> None:
    start(sbot)
    say(sbot, "schedule apply kubernetes")
    answer = say(sbot, "milestone move code and test freeze 2030-03-29 02:00 UTC -- CI is red")
    assert "Moved milestone *Code and test freeze*" in answer
    assert "no longer follows release day" in answer
    post = sbot.fake.wait_for(lambda: posts_with(sbot, "moved milestone *Code and test freeze*"))
    text = mrkdwn_of(post[0])
    assert f"~{token(CODE_FREEZE)}" in text
    assert token(datetime(2030, 3, 29, 2, 0, tzinfo=UTC)) in text
    assert "*Why:* CI is red" in text
    assert "Removed milestone *Feature blog freeze*" in say(
        sbot, "milestone remove feature blog freeze"
    )
    sbot.fake.wait_for(lambda: posts_with(sbot, "removed milestone *Feature blog freeze*"))
    assert count(sbot) == 11


def test_postpone_moves_relative_milestones_and_says_which(sbot: RunningBot) -> None:
    start(sbot)
    say(sbot, "schedule apply kubernetes")
    say(sbot, "milestone add Launch party 2030-04-30 18:00 UTC")
    assert "Release day is now" in say(sbot, "postpone 2030-05-01 -- a blocker")
    post = sbot.fake.wait_for(lambda: posts_with(sbot, "moved with it"))
    text = mrkdwn_of(post[0])
    assert "12 milestones follow release day" in text and "Launch party" not in text
    assert token(datetime(2030, 3, 29, 2, 0, tzinfo=UTC)) in text  # code freeze, a week on
    listing = shown(send(sbot, "schedule"))
    assert token(datetime(2030, 4, 30, 18, 0, tzinfo=UTC)) in listing  # the fixed one stayed


def test_only_leads_change_the_schedule(sbot: RunningBot) -> None:
    start(sbot)
    for text in (
        "schedule apply kubernetes",
        "milestone add Freeze 2030-03-01",
        "schedule notify 1d",
    ):
        answer = say(sbot, text, user=OTHER)
        assert "Only a lead of this release" in answer and f"<@{LEAD}>" in answer
    assert count(sbot) == 0
    assert "no milestones yet" in say(sbot, "schedule", user=OTHER)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("milestone add Docs freeze", "no date"),
        ("milestone add Docs freeze 2030-13-45", "2030-13-45"),
        ("milestone add Docs freeze 2030-03-01 27:99", "27:99"),
        ("milestone add Docs freeze 2030-03-01 10:00 IST", "Asia/Kolkata"),
        ("milestone add Docs freeze 2030-03-01 owner", "needs a role"),
        ("milestone add Docs freeze 2030-03-01 soon", "after the date"),
        ("milestone add Old 2020-01-01", "past"),
        ("milestone move Nope 2030-03-01", "no milestone `Nope`"),
        ("milestone remove", "Name the milestone"),
        ("milestone frobnicate", "add`, `move` or `remove"),
        ("schedule apply nope", "no schedule template `nope`"),
        ("schedule apply", "Name one template"),
        ("schedule notify 4x", "`4x`"),
        ("schedule sideways", "not something"),
    ],
)
def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    sbot: RunningBot, text: str, expected: str
) -> None:
    start(sbot)
    answer = say(sbot, text)
    assert answer.startswith(":warning:") and expected in answer, answer
    assert count(sbot) == 0


def test_parse_errors_show_the_right_form(sbot: RunningBot) -> None:
    start(sbot)
    answer = say(sbot, "milestone add Docs freeze 2030-13-45")
    assert "The form is `/release milestone add NAME DATE" in answer


def test_typed_markup_stays_text_and_payload_in_a_name_works(sbot: RunningBot) -> None:
    start(sbot)
    answer = say(
        sbot, "milestone add &lt;!channel&gt; payload=x 2030-03-01 -- see &lt;https://x.io|here&gt;"
    )
    assert "&lt;!channel&gt; payload=x" in answer and "<!channel>" not in answer
    post = sbot.fake.wait_for(lambda: posts_with(sbot, "added milestone"))
    text = mrkdwn_of(post[0])
    assert "<!channel>" not in text and "<https://x.io|here>" not in text
    assert "&lt;https://x.io|here&gt;" in text
    with sbot.services.db.read() as s:
        (row,) = s.exec(select(Milestone)).all()
    assert (row.name, row.description) == ("<!channel> payload=x", "see <https://x.io|here>")


def test_notify_shows_and_changes_the_countdown(sbot: RunningBot) -> None:
    start(sbot)
    assert "announced 4w, 1w, 1d and 1h before" in say(sbot, "schedule notify")
    assert "announced 2w and 2d before" in say(sbot, "schedule notify 2w,2d")
    sbot.fake.wait_for(lambda: posts_with(sbot, "changed the countdown"))
    assert "not announced ahead" in say(sbot, "schedule notify off")


def test_templates_lists_builtins_and_custom_files_with_their_mistakes(
    bots: Bots, tmp_path: Path
) -> None:
    (tmp_path / "ours.yaml").write_text(
        "name: ours\nmilestones:\n  - name: Freeze\n    offset: -10d\n"
    )
    (tmp_path / "broken.yaml").write_text(
        "name: broken\nmilestones:\n  - name: Freeze\n    offset: ten days\n"
    )
    (tmp_path / "steps.yaml").write_text("name: steps\nsteps:\n  - title: A\n    owner: lead\n")
    bot = bots.start(templates_dir=tmp_path)
    start(bot)
    listing = shown(send(bot, "schedule templates"))
    for name in ("kubernetes", "kubeflow", "openstack", "ours"):
        assert f"*{name}*" in listing
    assert "broken.yaml:4" in listing and "steps" not in listing.replace("steps.", "")
    answer = say(bot, "schedule apply broken")
    assert "broken.yaml:4" in answer and "was not loaded" in answer
    assert "Laid out the *ours* schedule" in say(bot, "schedule apply ours")
