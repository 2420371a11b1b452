"""`run:` in checklist templates: read with line-precise mistakes; the built-in examples work."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.checklist.jobs.flows import check_token
from bot.checklist.jobs.spec import GITHUB, WEBHOOK, fields_of, filled
from bot.checklist.templates import BUILTIN_DIR, TemplateInvalid, parse
from bot.core.config import Settings
from tests.support.checklist import CHANNEL, LEAD, MakeBot, answer

HEAD = """\
name: jobs
steps:
  - title: Promote
    owner: lead
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(TemplateInvalid) as caught:
        parse(text, "teams/jobs.yaml")
    return [str(error) for error in caught.value.errors]


def test_a_github_run_is_read_with_its_inputs_and_timeout() -> None:
    template = parse(
        HEAD
        + """\
    run:
      github:
        repo: kubernetes/release
        workflow: promote.yaml
        ref: release-1.33
        inputs:
          version: "{release.version}"
          dry_run: false
          attempts: 3
        correlation: releasebot_run
      timeout: 90m
""",
        "jobs.yaml",
    )
    run = template.steps[0].run
    assert run is not None and run.kind == GITHUB
    assert (run.repo, run.workflow, run.ref) == (
        "kubernetes/release",
        "promote.yaml",
        "release-1.33",
    )
    assert run.inputs == {"version": "{release.version}", "dry_run": "false", "attempts": "3"}
    assert run.correlation == "releasebot_run" and run.timeout == timedelta(minutes=90)
    assert run.loads(run.dumps()) == run


def test_inputs_take_only_the_release_fields() -> None:
    fields = fields_of("v1.33.0", "UTC", None)
    assert filled({"v": "{release.version}", "n": "{release.name} ok"}, fields) == {
        "v": "1.33.0",
        "n": "v1.33.0 ok",
    }
    said = errors_of(
        HEAD
        + """\
    run:
      github:
        repo: kubernetes/release
        workflow: promote.yaml
        ref: main
        inputs:
          token: "{env.GITHUB_TOKEN}"
"""
    )
    assert said == [
        "teams/jobs.yaml:11: input `token` uses `{env.GITHUB_TOKEN}`; inputs may use only the "
        "release's fields: {release.name}, {release.version}, {release.day}."
    ]


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (
            "run:\n      github:\n        repo: not a repo\n"
            "        workflow: x.yaml\n        ref: main\n",
            ":7: `not a repo` is not a repo: write owner/name, like kubernetes/release.",
        ),
        (
            "run:\n      github:\n        repo: a/b\n"
            "        workflow: build.sh\n        ref: main\n",
            ":8: `build.sh` is not a workflow",
        ),
        (
            "run:\n      github:\n        repo: a/b\n        workflow: x.yaml\n",
            ":7: run's github needs `ref`: a branch or tag, like main.",
        ),
        (
            "run:\n      github: {repo: a/b, workflow: x.yaml, ref: main}\n      webhook: {url: https://x.example}\n",
            ":6: run needs exactly one of `github:` (a workflow) or `webhook:` (a URL).",
        ),
        (
            "run:\n      github: {repo: a/b, workflow: x.yaml, ref: main}\n      timeout: soon\n",
            ":7: run's timeout:",
        ),
        (
            "run:\n      gitlab: {repo: a/b}\n",
            ":6: unknown key `gitlab` in run; use github, webhook, timeout.",
        ),
        (
            "run:\n      github: {repo: a/b, workflow: x.yaml, ref: main, inputs: [a, b]}\n",
            ":6: github's inputs must be a mapping of input: value, not a list.",
        ),
    ],
)
def test_mistakes_in_run_name_their_line(run: str, expected: str) -> None:
    said = errors_of(HEAD + "    " + run)
    assert expected in said[0], said
    assert all(line.startswith("teams/jobs.yaml:") for line in said)


def test_a_broken_run_is_shown_by_checklist_templates(make_bot: MakeBot, tmp_path: Path) -> None:
    directory = tmp_path / "templates"
    directory.mkdir()
    (directory / "jobs.yaml").write_text(
        HEAD + "    run:\n      github: {repo: a/b, workflow: x.yaml}\n"
    )
    bot = make_bot(templates_dir=directory)
    text = answer(bot.slack.command("/checklist", "templates", user_id=LEAD, channel_id=CHANNEL))
    assert "jobs.yaml:6: run's github needs `ref`" in text


def test_the_commented_examples_of_the_builtin_template_load_when_uncommented() -> None:
    text = (BUILTIN_DIR / "kubernetes-minor.yaml").read_text()
    assert "# run:" in text
    uncommented = re.sub(r"^(\s*)# (run:|  )", r"\1\2", text, flags=re.MULTILINE)
    template = parse(uncommented, "kubernetes-minor.yaml")
    runs = {s.title: s.run for s in template.steps if s.run is not None}
    assert set(runs) == {
        "Nomock publication",
        "Publish the release docs on the website",
        "Send the release notification (release-notify)",
    }
    assert all(run.kind == GITHUB for run in runs.values())
    assert runs["Nomock publication"].correlation == "releasebot_run"


def test_doctor_says_when_job_steps_have_no_token_granted(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_text(
        HEAD + "    run:\n      github: {repo: a/b, workflow: x.yaml, ref: main}\n"
    )
    (bad,) = check_token(Settings(templates_dir=tmp_path), None)  # type: ignore[arg-type]
    assert not bad.ok and "no GITHUB_TOKEN is granted" in bad.what
    assert "GITHUB_TOKEN@api.github.com" in bad.fix
    granted = Settings(
        templates_dir=tmp_path,
        gate_grants={"GITHUB_TOKEN": ("api.github.com",)},
        gate_secret_values={"GITHUB_TOKEN": "ghp_value"},
    )
    (good,) = check_token(granted, None)  # type: ignore[arg-type]
    assert good.ok and "1 checklist step(s) run GitHub workflows at api.github.com" in good.what
    assert check_token(Settings(), None) == []  # type: ignore[arg-type]


def test_a_webhook_run_is_read_with_its_url_and_a_default_timeout() -> None:
    template = parse(
        HEAD + "    run:\n      webhook: {url: https://jobs.example.com/publish}\n", "j.yaml"
    )
    run = template.steps[0].run
    assert run is not None and run.kind == WEBHOOK
    assert run.url == "https://jobs.example.com/publish" and run.timeout == timedelta(hours=1)
    said = errors_of(HEAD + "    run:\n      webhook: {url: ftp://jobs.example.com}\n")
    assert said == ["teams/jobs.yaml:6: webhook's url must start with https:// (or http://)."]
    said = errors_of(HEAD + "    run:\n      webhook: {}\n")
    assert said == [
        "teams/jobs.yaml:6: run's webhook needs `url`, like https://jobs.example.com/hook."
    ]
