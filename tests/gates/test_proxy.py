"""Gate checks through RELEASEBOT_GATE_PROXY: the guard still decides, the proxy sees little."""

from __future__ import annotations

import select
import shutil
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bot.core.fetch import guard
from bot.core.fetch.secrets import GateSecrets
from bot.gates.probe import check
from tests.conftest import RunningBot
from tests.gates.builders import certificate
from tests.kit.gate_server import GateServer

NAME = "ci.gates.test"


class TinyProxy(socketserver.ThreadingTCPServer):
    """An HTTP proxy on 127.0.0.1: forwards absolute-form GETs, tunnels CONNECT; logs both."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, password: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.password = password
        self.seen: list[tuple[str, dict[str, str]]] = []  # request line, headers

    @property
    def url(self) -> str:
        auth = f"gates:{self.password}@" if self.password else ""
        return f"http://{auth}127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> TinyProxy:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(socketserver.StreamRequestHandler):
    server: TinyProxy

    def handle(self) -> None:
        line = self.rfile.readline().decode("latin-1").strip()
        headers: dict[str, str] = {}
        while (raw := self.rfile.readline().decode("latin-1").strip()) != "":
            name, _, value = raw.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.server.seen.append((line, headers))
        method, target, _ = line.split(" ", 2)
        if self.server.password and self.server.password not in _basic(headers):
            self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host, int(port)), timeout=5)
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(self.connection, upstream)
            return
        url = httpx.URL(target)  # absolute form: the proxy dials the URL's host, as RFC 9112 says
        forwarded = {k: v for k, v in headers.items() if not k.startswith("proxy-")}
        with httpx.Client(trust_env=False) as client:
            answer = client.get(str(url), headers=forwarded)
        self.wfile.write(
            f"HTTP/1.1 {answer.status_code} X\r\nContent-Length: {len(answer.content)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + answer.content
        )


def _basic(headers: dict[str, str]) -> str:
    import base64

    value = headers.get("proxy-authorization", "").removeprefix("Basic ")
    return base64.b64decode(value).decode() if value else ""


def _pipe(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    while True:
        ready, _, _ = select.select(sockets, [], [], 5)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


@pytest.fixture
def proxy() -> Iterator[TinyProxy]:
    with TinyProxy() as running:
        yield running


def run(url: str, proxy: str, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("allow", ("127.0.0.1", NAME))
    kw.setdefault("secrets", GateSecrets())
    return check.run(url, kw.pop("expect", None), kw.pop("headers", None), proxy=proxy, **kw)


def test_an_http_check_goes_through_the_proxy_to_the_approved_address(
    proxy: TinyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    with GateServer() as server:
        verdict = run(f"http://{NAME}:{server.port}/health", proxy.url)
        assert verdict.ok, verdict.detail
    line, headers = proxy.seen[-1]
    assert (
        line == f"GET http://127.0.0.1:{server.port}/health HTTP/1.1"
    )  # the address, not the name
    assert headers["host"] == f"{NAME}:{server.port}"


def test_a_refused_target_is_refused_before_the_proxy_hears_of_it(
    proxy: TinyProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        guard, "resolve", lambda host, port: [host] if host[0].isdigit() else ["10.1.2.3"]
    )
    verdict = run("http://internal.gates.test/admin", proxy.url, allow=())
    assert not verdict.ok and "refused" in verdict.detail and "10.1.2.3" in verdict.detail
    assert proxy.seen == []
    metadata = run("http://169.254.169.254/latest/meta-data", proxy.url, allow=())
    assert not metadata.ok and "link-local" in metadata.detail and proxy.seen == []


def test_https_through_the_proxy_tunnels_to_the_address_and_verifies_the_name(
    proxy: TinyProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = certificate(tmp_path, NAME)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    trusted = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    headers = check.dump_headers([("X-Token", "${GATE_PROXY_TOKEN}")])
    secrets = GateSecrets({"GATE_PROXY_TOKEN": (NAME,)}, {"GATE_PROXY_TOKEN": "tunnelled-s3cret"})
    with GateServer(tls=served) as server:
        url = f"https://{NAME}:{server.port}/q?ok=1"
        good = run(url, proxy.url, verify=trusted, headers=headers, secrets=secrets)
        assert good.ok, good.detail
        assert server.requests[-1][1]["X-Token"] == "tunnelled-s3cret"
        assert server.requests[-1][1]["Host"] == f"{NAME}:{server.port}"
        other = f"https://other.gates.test:{server.port}/"
        bad = run(other, proxy.url, verify=trusted, allow=("other.gates.test",))
        assert not bad.ok and "certificate" in bad.detail.lower(), bad.detail
    lines = [line for line, _ in proxy.seen]
    assert lines[0] == f"CONNECT 127.0.0.1:{server.port} HTTP/1.1"
    assert "tunnelled-s3cret" not in repr(proxy.seen) and "/q?ok=1" not in repr(proxy.seen)


def test_the_proxy_password_is_sent_to_the_proxy_and_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    with TinyProxy(password="pr0xy-pass") as locked, GateServer() as server:
        assert run(server.url("/x"), locked.url).ok
        wrong = locked.url.replace("pr0xy-pass", "wrong-pass")
        refused = run(server.url("/x"), wrong)
        assert not refused.ok and "407" in refused.detail and "wrong-pass" not in refused.detail
    assert server.hits() == 1


def test_without_a_proxy_the_environment_proxy_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["127.0.0.1"])
    with GateServer() as server:
        assert check.run(server.url(), None, None, allow=("127.0.0.1",), secrets=GateSecrets()).ok


def test_the_bot_checks_gates_through_the_configured_proxy(
    make_bot: Callable[..., RunningBot], proxy: TinyProxy
) -> None:
    bot = make_bot(gate_allow=("127.0.0.1",), gate_proxy=proxy.url)
    with GateServer() as server:
        for command, line in (
            ("/release", "new v1.31 on 2027-03-15 10:00 PT"),
            ("/gate", f"add ci {server.url('/health')} every 1h"),
        ):
            assert bot.slack.command(command, line, user_id="U_LEAD", channel_id="C1").is_success
        bot.fake.wait_for(lambda: server.hits() == 1)
    assert proxy.seen[0][0] == f"GET http://127.0.0.1:{server.port}/health HTTP/1.1"
