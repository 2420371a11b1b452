"""Running an HTTP gate's check: guarded GET, redirects followed by hand, expectation applied.

Each request connects to the address the guard approved (the URL's host is replaced by that
IP; the Host header and TLS server name keep the real name, so certificates are still
verified against it). Redirects are checked by the guard again, at most MAX_REDIRECTS.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from urllib.parse import urljoin

import httpx

from bot.gates.probe import expect, guard
from bot.gates.probe.secrets import VARIABLE, GateSecrets, NotGranted, named_in

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5
MAX_BODY = 1_000_000
REDIRECTS = {301, 302, 303, 307, 308}
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}")
_SENSITIVE = ("auth", "token", "key", "secret", "cookie", "password", "session")
_FORBIDDEN = {"host", "content-length", "transfer-encoding", "connection"}


class HeaderError(ValueError):
    """A header that cannot be used; the message says why."""


class MissingVariable(Exception):
    """A header names an environment variable that is not set."""


def parse_header(text: str) -> tuple[str, str]:
    """Parse `Name: value`; a credential-like header must take its value from ${VARIABLE}."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not _HEADER_NAME.fullmatch(name):
        raise HeaderError('Write a header as `header "Name: value"`, like `header "Accept: x"`.')
    if name.lower() in _FORBIDDEN:
        raise HeaderError(f"The `{name}` header is set by the bot itself.")
    if any(ch in value for ch in "\r\n\0") or len(value) > 2000:
        raise HeaderError(f"The value of `{name}` has line breaks or is too long.")
    if any(word in name.lower() for word in _SENSITIVE) and not VARIABLE.search(value):
        raise HeaderError(
            f"`{name}` looks like a credential, and secrets must not be stored: put it in an "
            f'environment variable of the bot and write `header "{name}: Bearer ${{TOKEN}}"`.'
        )
    return name, value


def dump_headers(headers: Sequence[tuple[str, str]]) -> str | None:
    """Headers as stored (JSON, with ${VARIABLE} references unresolved)."""
    return json.dumps([list(pair) for pair in headers]) if headers else None


def load_headers(stored: str | None) -> list[tuple[str, str]]:
    """Headers as stored by dump_headers."""
    return [(str(n), str(v)) for n, v in json.loads(stored)] if stored else []


def resolve_headers(
    headers: Sequence[tuple[str, str]], environ: Mapping[str, str]
) -> dict[str, str]:
    """Replace each ${VARIABLE} by its value; MissingVariable names the first one unset."""

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise MissingVariable(name)
        return environ[name]

    return {name: VARIABLE.sub(value_of, value) for name, value in headers}


def resolve_url(url: str, environ: Mapping[str, str]) -> str:
    """The URL with each ${VARIABLE} (allowed in its path and query) replaced by its value."""
    return resolve_headers([("url", url)], environ)["url"]


def host_has_variable(url: str) -> bool:
    """True when a ${VARIABLE} sits before the path, where the guard could not see the host."""
    rest = url.split("://", 1)[-1]
    return bool(VARIABLE.search(re.split(r"[/?#]", rest, maxsplit=1)[0]))


def run(
    url: str,
    expectation: str | None,
    headers: str | None,
    *,
    allow: Sequence[str],
    timeout: float = 10.0,
    secrets: GateSecrets,
    verify: ssl.SSLContext | bool = True,
) -> expect.Verdict:
    """Check a gate now: never raises; a failure's detail says what went wrong.

    Secrets are resolved only after the grants allow every variable for the URL's host, and
    headers are dropped on a redirect to another origin, so a value reaches its hosts only.
    """
    pairs = load_headers(headers)
    try:
        wanted = expect.parse(expectation)
        if host_has_variable(url):
            raise NotGranted("variables may go in the URL's path or query, not its host")
        secrets.check(url, named_in(url, pairs))
        sent = resolve_headers(pairs, secrets.values)
        target = resolve_url(url, secrets.values)
    except expect.ExpectError as err:
        return expect.Verdict(False, f"the expectation no longer parses: {err}")
    except NotGranted as err:
        return expect.Verdict(False, f"not checked, nothing sent: {err}")
    except MissingVariable as err:
        return expect.Verdict(False, f"the environment variable {err.args[0]} is not set")
    try:
        response = fetch(target, sent, allow=allow, timeout=timeout, verify=verify)
        verdict = wanted.evaluate(response)
    except guard.Refused as err:
        verdict = expect.Verdict(False, f"refused: {err}")
    except httpx.TimeoutException:
        verdict = expect.Verdict(False, f"no answer within {timeout:g}s (timed out)")
    except httpx.HTTPError as err:
        verdict = expect.Verdict(False, f"request failed: {_describe(err)}")
    except Exception as err:  # a hostile or broken server must not stop the checker
        log.warning("gate check of %s failed unexpectedly", url, exc_info=True)
        verdict = expect.Verdict(False, f"check failed: {type(err).__name__}: {err}")
    return expect.Verdict(verdict.ok, secrets.masked(verdict.detail)[:1000])


def fetch(
    url: str,
    headers: Mapping[str, str],
    *,
    allow: Sequence[str],
    timeout: float,
    verify: ssl.SSLContext | bool = True,
) -> expect.Response:
    """GET the URL through the guard, following redirects by hand; raises httpx errors."""
    deadline = time.monotonic() + timeout
    current, sent = url, dict(headers)
    with httpx.Client(trust_env=False, follow_redirects=False, verify=verify) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target = guard.check(current, allow)
            status, location, body = _get(client, target, sent, deadline)
            if status not in REDIRECTS or not location:
                return expect.Response(status, body)
            following = urljoin(current, location)
            if _origin(following) != _origin(current):
                sent = {}  # never carry credentials to another origin
            current = following
    raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")


def _get(
    client: httpx.Client, target: guard.Target, headers: dict[str, str], deadline: float
) -> tuple[int, str, str]:
    pinned = httpx.URL(target.url).copy_with(host=target.address.split("%", 1)[0])
    default_port = guard.SCHEMES[target.scheme] == target.port
    host = f"[{target.host}]" if ":" in target.host else target.host
    sent = {**headers, "Host": host if default_port else f"{host}:{target.port}"}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    request = client.build_request(
        "GET", pinned, headers=sent, extensions=extensions, timeout=_left(deadline)
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
    return response.status_code, response.headers.get("location", ""), body


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
