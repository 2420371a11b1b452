"""/release webhook as a lead and others type it: guarded URLs, filters, a secret shown once."""

from __future__ import annotations

import logging
import time

import pytest
from sqlmodel import select

from bot.core import logs
from bot.core.fetch import guard
from bot.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import RunningBot
from tests.kit.webhook_receiver import Receiver
from tests.support.release import CHANNEL, LEAD, answer
from tests.webhooks.conftest import add_webhook, listed, postpone


def say(bot: RunningBot, text: str, user: str = LEAD) -> str:
    return answer(bot.slack.command("/release", text, user_id=user, channel_id=CHANNEL))


def endpoints(bot: RunningBot) -> list[WebhookEndpoint]:
    with bot.services.db.read() as s:
        return list(s.exec(select(WebhookEndpoint)))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Faked name resolution: host -> addresses (nothing here connects to them)."""
    table: dict[str, list[str]] = {}
    real = guard.resolve

    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        if host == "127.0.0.1":
            return real(host, port)
        raise OSError("no such host")

    monkeypatch.setattr(guard, "resolve", resolve)
    return table


def test_a_private_address_is_refused_and_nothing_is_stored(
    hooked: RunningBot, dns: dict[str, list[str]]
) -> None:
    dns["hooks.corp.example"] = ["10.1.2.3"]
    reply = say(hooked, "webhook add https://hooks.corp.example/in")
    assert "private" in reply and "RELEASEBOT_GATE_ALLOW" in reply
    dns["meta.example"] = ["169.254.169.254"]
    assert "link-local" in say(hooked, "webhook add http://meta.example/latest")
    assert endpoints(hooked) == []


def test_the_guard_is_asked_again_at_delivery(
    hooked: RunningBot, dns: dict[str, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    dns["hooks.example.org"] = ["93.184.216.34"]
    number, _ = add_webhook(hooked, "https://hooks.example.org/in")
    dns["hooks.example.org"] = ["169.254.169.254"]  # its name now points at cloud metadata
    postpone(hooked, "2027-03-22")
    hooked.fake.wait_for(lambda: endpoints(hooked)[0].failures >= 1)
    found = endpoints(hooked)[0]
    assert found.last_status is None and "link-local" in (found.last_error or "")
    assert "link-local" in listed(hooked)
    with hooked.services.db.read() as s:
        (row,) = s.exec(select(WebhookDelivery)).all()
    assert row.state == "pending" and row.status is None
    assert number == found.id


def test_a_secret_is_shown_once_and_never_in_the_list_or_the_logs(
    hooked: RunningBot, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, secret = add_webhook(hooked, receiver.url(), "release.*")
    assert secret.startswith("whsec_") and len(secret) > 40
    postpone(hooked, "2027-03-22")
    receiver.wait_for(1)
    shown = listed(hooked) + listed(hooked, user=LEAD)
    assert "release.*" in shown and "whsec_" not in shown and secret[6:] not in shown
    formatter = logs.make_formatter(hooked.services.settings)  # what `releasebot run` writes
    for record in caplog.records:
        written = formatter.format(record)
        assert secret[6:] not in written, written
        if record.levelno >= logging.INFO:  # the default level logs nothing of it at all
            assert "whsec_" not in record.getMessage()
    calls = str([c.args for c in hooked.fake.calls])
    assert "whsec_" not in calls  # never posted anywhere in Slack
    _, other = add_webhook(hooked, receiver.url("/other"))
    assert other != secret  # each endpoint has its own


def test_only_a_lead_adds_or_removes(hooked: RunningBot, receiver: Receiver) -> None:
    refused = say(hooked, f"webhook add {receiver.url()}", user="U_OTHER")
    assert "Only a lead" in refused and "whsec_" not in refused
    number, _ = add_webhook(hooked, receiver.url())
    assert "Only a lead" in say(hooked, f"webhook remove {number}", user="U_OTHER")
    assert f"#{number}" in listed(hooked, user="U_OTHER")  # anyone may see the list


def test_wrong_forms_say_what_is_right(hooked: RunningBot, receiver: Receiver) -> None:
    bad = say(hooked, f"webhook add {receiver.url()} steps.done")
    assert "names no event" in bad and "step.*" in bad and "gate.red" in bad
    assert "http:// or https://" in say(hooked, "webhook add ftp://files.example.com/x")
    assert "Name the URL" in say(hooked, "webhook add")
    assert "not something" in say(hooked, "webhook frobnicate")
    assert "no webhook `7`" in say(hooked, "webhook remove 7")
    assert "is not paused" in say(
        hooked, f"webhook resume {add_webhook(hooked, receiver.url())[0]}"
    )
    assert endpoints(hooked)[0].events == "*"


def test_a_slack_link_is_taken_as_its_url(hooked: RunningBot, receiver: Receiver) -> None:
    _, secret = add_webhook(hooked, f"<{receiver.url()}>", "release.postponed")
    assert endpoints(hooked)[0].url == receiver.url()
    postpone(hooked, "2027-03-22")
    (got,) = receiver.wait_for(1)
    assert got.verified(secret)["type"] == "release.postponed"


def test_removing_stops_deliveries_and_drops_what_waits(
    hooked: RunningBot, receiver: Receiver
) -> None:
    number, _ = add_webhook(hooked, receiver.url())
    receiver.down()
    postpone(hooked, "2027-03-22")
    dispatcher = hooked.services.outbox.webhooks.dispatcher  # type: ignore[attr-defined]
    hooked.fake.wait_for(lambda: endpoints(hooked)[0].failures >= 1)
    assert dispatcher.flush(5)  # its retry waits: nothing is in flight
    reply = say(hooked, f"webhook remove {number}")
    assert "removed" in reply and "1 undelivered" in reply
    receiver.up()
    postpone(hooked, "2027-03-23")
    assert dispatcher.flush(5)
    time.sleep(1.0)  # past the retry it had planned
    assert receiver.received == []
    assert "has no webhooks" in listed(hooked)
