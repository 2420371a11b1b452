"""One signed delivery: Standard Webhooks headers, through the address guard, with a timeout.

The signature is made by the `standardwebhooks` library over `{id}.{timestamp}.{body}` with
the endpoint's secret; the timestamp is the moment of this attempt (receivers refuse one
more than five minutes off), the id and the body are the delivery's, the same on every
attempt. The URL is checked by the gates' address guard at every attempt (DNS may have
changed since it was added) and the request goes to the address the guard approved, with
the Host header and TLS name of the URL, as a gate check does. Redirects are not followed:
a 3xx is a failed delivery, like any answer outside 2xx.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from bot.core.fetch import guard
from bot.core.fetch.request import client_for, failure

USER_AGENT = "releasebot-webhooks/1"


@dataclass(frozen=True)
class Answer:
    """How an attempt ended: the HTTP status (None when no answer came) and what went wrong."""

    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        """A 2xx answer: delivered, never sent again."""
        return self.status is not None and 200 <= self.status < 300


def signed_headers(secret: str, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    signature = Webhook(secret).sign(webhook_id, at, body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class Poster:
    """Sends deliveries to one endpoint, reusing one connection while its address holds."""

    def __init__(self, *, allow: Sequence[str], timeout: float, proxy: str | None) -> None:
        self.allow = allow
        self.timeout = timeout
        self.proxy = proxy or None
        self._client: httpx.Client | None = None
        self._for: tuple[str, str] | None = None

    def send(self, url: str, secret: str, webhook_id: str, body: str) -> Answer:
        """POST one delivery; never raises."""
        try:
            target = guard.check(url, self.allow)
        except guard.Refused as err:
            return Answer(None, f"refused: {err}")
        headers = signed_headers(secret, webhook_id, body, datetime.fromtimestamp(time.time(), UTC))
        try:
            response = self._post(target, headers, body.encode())
        except httpx.TimeoutException:
            self.close()
            return Answer(None, f"no answer within {self.timeout:g}s (timed out)")
        except Exception as err:  # a hostile or broken receiver must not stop delivery
            self.close()
            return Answer(None, failure(err, url, timeout=self.timeout, proxy=self.proxy))
        if 200 <= response.status_code < 300:
            return Answer(response.status_code, None)
        return Answer(response.status_code, f"HTTP {response.status_code}")

    def _post(self, target: guard.Target, headers: dict[str, str], body: bytes) -> httpx.Response:
        if self._client is None or self._for != (target.host, target.address):
            self.close()
            self._client = client_for(target, proxy=self.proxy)
            self._for = (target.host, target.address)
        pinned = httpx.URL(target.url).copy_with(host=target.address.split("%", 1)[0])
        default_port = guard.SCHEMES[target.scheme] == target.port
        host = f"[{target.host}]" if ":" in target.host else target.host
        headers["host"] = host if default_port else f"{host}:{target.port}"
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self._client.build_request(
            "POST", pinned, headers=headers, content=body, extensions=extensions,
            timeout=self.timeout,
        )  # fmt: skip
        response = self._client.send(request, stream=True)
        try:
            for _ in response.iter_bytes():  # read (and drop) a short answer, within the timeout
                if response.num_bytes_downloaded > 64_000:
                    break
        finally:
            response.close()
        return response

    def close(self) -> None:
        """Drop the connection."""
        if self._client is not None:
            self._client.close()
        self._client = None
        self._for = None
