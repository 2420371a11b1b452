"""Running an HTTP gate's check: its headers, a guarded GET, and the expectation applied.

The request itself (the address guard, redirects, the proxy) is bot.core.fetch.request.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Sequence

from bot.core.fetch import request
from bot.core.fetch.secrets import (
    VARIABLE,
    GateSecrets,
    MissingVariable,
    NotGranted,
    host_has_variable,
    named_in,
    resolve_headers,
    resolve_url,
)
from bot.gates.probe import expect

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}")
_SENSITIVE = ("auth", "token", "key", "secret", "cookie", "password", "session")
_FORBIDDEN = {"host", "content-length", "transfer-encoding", "connection"}


class HeaderError(ValueError):
    """A header that cannot be used; the message says why."""


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


def run(
    url: str,
    expectation: str | None,
    headers: str | None,
    *,
    allow: Sequence[str],
    timeout: float = 10.0,
    secrets: GateSecrets,
    verify: ssl.SSLContext | bool = True,
    proxy: str | None = None,
) -> expect.Verdict:
    """Check a gate now (through `proxy` if one is set): never raises; a failure says why.

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
        response = request.fetch(
            target, sent, allow=allow, timeout=timeout, verify=verify, proxy=proxy
        )
        verdict = wanted.evaluate(response)
    except Exception as err:  # a hostile or broken server must not stop the checker
        verdict = expect.Verdict(False, request.failure(err, url, timeout=timeout, proxy=proxy))
    detail = request.without_proxy_password(secrets.masked(verdict.detail), proxy)
    return expect.Verdict(verdict.ok, detail[:1000], verdict.value)
