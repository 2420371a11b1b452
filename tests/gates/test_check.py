"""HTTP gate checks against a local service: expectations, timeouts, headers, redirects, pinning."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
from pathlib import Path

import pytest

from bot.core.fetch import guard, request, secrets
from bot.core.fetch.secrets import GateSecrets
from bot.gates.probe import check
from tests.gates.builders import certificate
from tests.kit.gate_server import Answer, GateServer

ALLOW = ("127.0.0.1",)


def redirect(location: str) -> Answer:
    return Answer(302, "", headers={"Location": location})


def run(url: str, expectation: str | None = None, headers: str | None = None, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("allow", ALLOW)
    kw.setdefault("timeout", 2.0)
    kw.setdefault("secrets", GateSecrets())
    return check.run(url, expectation, headers, **kw)


def granted(**values: str) -> GateSecrets:
    """Grant each variable for 127.0.0.1, with the given values."""
    return GateSecrets({name: ("127.0.0.1",) for name in values}, values)


def test_any_2xx_passes_by_default_and_5xx_fails(server: GateServer) -> None:
    server.set(204, "")
    assert run(server.url()).ok
    server.set(503, "down")
    verdict = run(server.url())
    assert not verdict.ok and "HTTP 503" in verdict.detail


def test_json_expectations_read_nested_paths_and_compare(server: GateServer) -> None:
    server.set(200, json.dumps({"jobs": [{"state": "success", "failed": 0}], "ok": True}))
    assert run(server.url(), 'json.jobs.0.state == "success"').ok
    assert run(server.url(), "json.jobs.0.failed <= 0 and json.ok == true").ok
    assert run(server.url(), "json.jobs.0.failed >= 0").ok
    verdict = run(server.url(), "json.jobs.0.state == failure")
    assert not verdict.ok
    assert '"success"' in verdict.detail and "failure" in verdict.detail
    missing = run(server.url(), "json.jobs.3.state == success")
    assert not missing.ok and "missing" in missing.detail


def test_status_and_body_expectations(server: GateServer) -> None:
    server.set(202, "all green here")
    assert run(server.url(), "status == 202").ok
    assert not run(server.url(), "status == 200").ok
    assert run(server.url(), 'body contains "all green"').ok
    assert not run(server.url(), 'body contains "red"').ok


def test_a_slow_answer_fails_with_a_timeout(server: GateServer) -> None:
    server.set(200, "{}", delay=1.5)
    verdict = run(server.url(), timeout=0.3)
    assert not verdict.ok
    assert "timed out" in verdict.detail and "0.3s" in verdict.detail


def test_a_refused_connection_fails_with_the_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    verdict = run(f"http://127.0.0.1:{port}/health")
    assert not verdict.ok and "could not connect" in verdict.detail


def test_header_secret_comes_from_the_environment_at_check_time(server: GateServer) -> None:
    headers = check.dump_headers([check.parse_header("Authorization: Bearer ${GATE_TOKEN}")])
    assert headers is not None and "s3cr3t-value" not in headers
    verdict = run(server.url(), None, headers, secrets=granted(GATE_TOKEN="s3cr3t-value"))
    assert verdict.ok
    assert server.requests[-1][1]["Authorization"] == "Bearer s3cr3t-value"


def test_a_missing_variable_fails_naming_the_variable(server: GateServer) -> None:
    headers = check.dump_headers([check.parse_header("X-Api-Key: ${NOT_SET_ANYWHERE}")])
    verdict = run(
        server.url(), None, headers, secrets=GateSecrets({"NOT_SET_ANYWHERE": ("127.0.0.1",)})
    )
    assert not verdict.ok and "NOT_SET_ANYWHERE" in verdict.detail
    assert server.hits() == 0


def test_a_secret_echoed_back_is_not_repeated_in_the_detail(server: GateServer) -> None:
    server.set(200, json.dumps({"token": "s3cr3t-value"}))
    headers = check.dump_headers([check.parse_header("X-Token: ${GATE_TOKEN}")])
    verdict = run(
        server.url(), "json.token == other", headers, secrets=granted(GATE_TOKEN="s3cr3t-value")
    )
    assert not verdict.ok and "s3cr3t-value" not in verdict.detail


def test_credential_headers_must_name_a_variable() -> None:
    with pytest.raises(check.HeaderError, match="environment variable"):
        check.parse_header("Authorization: Bearer ghp_literal")
    with pytest.raises(check.HeaderError):
        check.parse_header("no colon here")
    assert check.parse_header("Accept: application/json") == ("Accept", "application/json")


def test_redirects_are_followed_and_each_hop_is_guarded(
    server: GateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.answers["/old"] = redirect(server.url("/new"))
    server.answers["/new"] = Answer(200, '{"state": "ok"}')
    assert run(server.url("/old"), "json.state == ok").ok
    fake = {"internal.example": ["10.1.2.3"]}
    real = guard.resolve
    monkeypatch.setattr(guard, "resolve", lambda host, port: fake.get(host) or real(host, port))
    server.answers["/sneaky"] = redirect("http://internal.example/admin")
    verdict = run(server.url("/sneaky"))
    assert not verdict.ok
    assert (
        "refused" in verdict.detail and "10.1.2.3" in verdict.detail and "private" in verdict.detail
    )


def test_too_many_redirects_fail(server: GateServer) -> None:
    server.answers["/loop"] = redirect("/loop")
    verdict = run(server.url("/loop"))
    assert not verdict.ok and "redirect" in verdict.detail
    assert server.hits("/loop") == request.MAX_REDIRECTS + 1


def test_connection_goes_to_the_checked_address_with_the_real_host_name(
    server: GateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"] if host == "ci.gates.test" else []

    monkeypatch.setattr(guard, "resolve", resolve)
    url = f"http://ci.gates.test:{server.port}/health"
    verdict = run(url, allow=("ci.gates.test",))
    assert verdict.ok, verdict.detail
    assert calls == ["ci.gates.test"]  # resolved once, by the guard; httpx got the address
    assert server.requests[-1][1]["Host"] == f"ci.gates.test:{server.port}"


def test_cross_origin_redirect_drops_the_headers(
    server: GateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    server.answers["/hop"] = redirect(f"http://other.gates.test:{server.port}/land")
    headers = check.dump_headers([("X-Token", "${GATE_TOKEN}")])
    allow = ("127.0.0.1", "other.gates.test")
    assert run(
        server.url("/hop"), None, headers, allow=allow, secrets=granted(GATE_TOKEN="abcd1234")
    ).ok
    assert server.requests[0][1].get("X-Token") == "abcd1234"
    assert "X-Token" not in server.requests[1][1]


def test_an_unknown_charset_and_binary_body_still_give_a_verdict(server: GateServer) -> None:
    server.set(200, "\x00\xff{", headers={"Content-Type": "text/plain; charset=no-such-codec"})
    verdict = run(server.url(), 'body contains "{"')
    assert verdict.ok, verdict.detail


def test_https_connects_to_the_checked_address_and_verifies_the_real_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = certificate(tmp_path, "ci.gates.test")
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    trusted = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    allow = ("ci.gates.test", "other.gates.test")
    with GateServer(tls=served) as server:
        good = run(f"https://ci.gates.test:{server.port}/", allow=allow, verify=trusted)
        assert good.ok, good.detail
        bad = run(f"https://other.gates.test:{server.port}/", allow=allow, verify=trusted)
        assert not bad.ok and "certificate" in bad.detail.lower(), bad.detail


def test_a_url_may_take_a_secret_from_the_environment_in_its_query(server: GateServer) -> None:
    url = server.url("/status?token=${GATE_URL_TOKEN}")
    verdict = run(url, "status == 418", secrets=granted(GATE_URL_TOKEN="q-s3cr3t"))
    assert server.requests[-1][0] == "/status?token=q-s3cr3t"
    assert not verdict.ok and "q-s3cr3t" not in verdict.detail
    missing = run(url, secrets=GateSecrets({"GATE_URL_TOKEN": ("127.0.0.1",)}))
    assert not missing.ok and "GATE_URL_TOKEN is not set" in missing.detail
    assert secrets.host_has_variable("https://${HOST}/x")
    assert secrets.host_has_variable("https://ci.example.com:${PORT}/x")
    assert not secrets.host_has_variable("https://ci.example.com/x?t=${T}")


def test_variables_from_dotenv_reach_the_check(tmp_path: Path, server: GateServer) -> None:
    from bot.core.config import load_environment, load_settings

    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "GATE_DOTENV_TOKEN=from-dotenv\nRELEASEBOT_GATE_SECRETS=GATE_DOTENV_TOKEN@127.0.0.1\n"
    )
    settings = load_settings(load_environment(dotenv))
    headers = check.dump_headers([("X-Token", "${GATE_DOTENV_TOKEN}")])
    secrets = GateSecrets(settings.gate_grants, settings.gate_secret_values)
    assert run(server.url(), None, headers, secrets=secrets).ok
    assert server.requests[-1][1]["X-Token"] == "from-dotenv"
