"""What an operator reads: doctor on a database never migrated, and a quiet start.

`releasebot doctor` against an empty database says it was never migrated and names
`releasebot migrate`; the checks that need tables say they were skipped instead of showing
an SQL error. `releasebot run` starts without Bolt's notes about the token, which an
operator could do nothing about.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.kit.bot_process import BotProcess
from tests.kit.fake_slack import FakeSlack
from tests.support.process import bot_env


def test_doctor_on_a_database_never_migrated_says_so_and_skips_table_checks(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    empty = "sqlite:///" + str(tmp_path / "empty.db")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **bot_env(empty, fake_slack)}
    found = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = found.stdout
    assert found.returncode == 1, out
    assert "never been migrated" in out and "releasebot migrate" in out
    assert "skip gates: skipped, it needs the database's tables" in out, out
    assert "no such table" not in out + found.stderr
    assert "SELECT" not in out and "Traceback" not in out + found.stderr
    assert "ok   bot token accepted by Slack" in out  # the checks that need no table ran


def test_run_starts_without_bolt_notes_an_operator_cannot_act_on(
    database_url: str, fake_slack: FakeSlack
) -> None:
    with BotProcess(bot_env(database_url, fake_slack)) as proc:
        started = proc.log_text()
    assert "token` will be unused" not in started
    assert "will be ignored" not in started
