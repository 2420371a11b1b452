"""A guarded request: a GET (or one POST) to the address the guard approved.

Each request connects to the address the guard approved (the URL's host is replaced by that
IP; the Host header and TLS server name keep the real name, so certificates are still
verified against it). Redirects are checked by the guard again, at most MAX_REDIRECTS.

Through a proxy (RELEASEBOT_GATE_PROXY) nothing of that changes: the bot still resolves
the host and the guard still refuses special addresses before anything is sent, and the
proxy is asked for the approved address, never the name, so it cannot be used to reach a
refused target (whatever networks it can reach itself) and cannot resolve the name to
another address. What the proxy sees:
- https:// gates: `CONNECT address:port`, then the TLS handshake (the host name as the
  server name) and encrypted bytes only: no path, query, header, secret or answer.
- http:// gates: everything: the full URL (a granted secret in its query included), every
  header (granted secrets included) and the answer. A proxy that follows RFC 9112 also sends
  the address as Host, so a name-based virtual host needs https:// through a proxy.
- Its own credentials (`user:password@` in RELEASEBOT_GATE_PROXY) as Proxy-Authorization;
  a failure's detail never shows them.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import certifi
import httpx

from bot.core.fetch import guard

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5
MAX_BODY = 1_000_000
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class Response:
    """What a request saw: the status code, the body text and the headers (names lowercased)."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)


def failure(err: Exception, url: str, *, timeout: float, proxy: str | None) -> str:
    """Why a guarded fetch failed, as people read it (no proxy password in it)."""
    if isinstance(err, guard.Refused):
        said = f"refused: {err}"
    elif isinstance(err, httpx.TimeoutException):
        said = f"no answer within {timeout:g}s (timed out)"
    elif isinstance(err, httpx.ProxyError):
        said = f"the gate proxy refused: {err or 'no reason given'}"
    elif isinstance(err, httpx.HTTPError):
        via = " through the gate proxy" if proxy else ""
        said = f"request failed{via}: {_describe(err)}"
    else:
        log.warning("gate check of %s failed unexpectedly", url, exc_info=err)
        said = f"check failed: {type(err).__name__}: {err}"
    return without_proxy_password(said, proxy)


def fetch(
    url: str,
    headers: Mapping[str, str],
    *,
    allow: Sequence[str],
    timeout: float,
    verify: ssl.SSLContext | bool = True,
    proxy: str | None = None,
    method: str = "GET",
    content: bytes | None = None,
) -> Response:
    """GET the URL through the guard, following redirects by hand; raises httpx errors.

    Another `method` (a POST with `content`) is sent once and its redirects are not followed.
    """
    deadline = time.monotonic() + timeout
    current, sent = url, dict(headers)
    for _ in range(MAX_REDIRECTS + 1):
        target = guard.check(current, allow)
        with client_for(target, verify=verify, proxy=proxy) as client:
            status, answered, body = _get(client, target, sent, deadline, method, content)
        location = answered.get("location", "")
        if status not in REDIRECTS or not location or method != "GET":
            return Response(status, body, answered)
        following = urljoin(current, location)
        if _origin(following) != _origin(current):
            sent = {}  # never carry credentials to another origin
        current = following
    raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")


def client_for(
    target: guard.Target, *, verify: ssl.SSLContext | bool = True, proxy: str | None = None
) -> httpx.Client:
    """The client for one guarded request: direct, or through the proxy (never the env's)."""
    if proxy and target.scheme == "https":
        # The tunnel is opened to the address, and httpcore then checks the certificate
        # against what it dialled: make it check the gate's host name instead.
        verify = _named_context(target.host, verify)
    return httpx.Client(trust_env=False, follow_redirects=False, verify=verify, proxy=proxy or None)


class _NamedContext(ssl.SSLContext):
    """TLS that names (SNI) and verifies the gate's host, whatever address was dialled."""

    host_name = ""

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        kwargs["server_hostname"] = self.host_name
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        kwargs["server_hostname"] = self.host_name
        return super().wrap_bio(*args, **kwargs)


def _named_context(host: str, verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.host_name = host
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif verify is True:
        context.load_verify_locations(cafile=certifi.where())
    else:  # the caller's trust store (tests trust their own certificate authority)
        authorities = verify.get_ca_certs(binary_form=True)
        if authorities:
            context.load_verify_locations(cadata=b"".join(authorities))
        else:
            context.load_default_certs()
    return context


def without_proxy_password(detail: str, proxy: str | None) -> str:
    """The text with the proxy's password (if its URL has one) replaced by dots."""
    password = httpx.URL(proxy).password if proxy else None
    return detail.replace(password, "•••") if password else detail


def _get(
    client: httpx.Client,
    target: guard.Target,
    headers: dict[str, str],
    deadline: float,
    method: str = "GET",
    content: bytes | None = None,
) -> tuple[int, dict[str, str], str]:
    pinned = httpx.URL(target.url).copy_with(host=target.address.split("%", 1)[0])
    default_port = guard.SCHEMES[target.scheme] == target.port
    host = f"[{target.host}]" if ":" in target.host else target.host
    sent = {**headers, "Host": host if default_port else f"{host}:{target.port}"}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    request = client.build_request(
        method,
        pinned,
        headers=sent,
        content=content,
        extensions=extensions,
        timeout=_left(deadline),
    )
    response = client.send(request, stream=True)
    try:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_BODY:
                break
            _left(deadline)
        body = _text(b"".join(chunks)[:MAX_BODY], response.charset_encoding)
    finally:
        response.close()
    answered = {name.lower(): value for name, value in response.headers.items()}
    return response.status_code, answered, body


def _text(raw: bytes, charset: str | None) -> str:
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpx.ReadTimeout("the check ran out of time")
    return left


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port


def _describe(err: httpx.HTTPError) -> str:
    text = str(err) or type(err).__name__
    if isinstance(err, httpx.ConnectError):
        return f"could not connect ({text})"
    return text
