"""What `/release token` answers: a new token (once), the list, a revocation. Pure."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.api.models import WRITE, ApiToken
from bot.core.text.escape import escape
from bot.core.text.timefmt import when

MAX_LISTED = 20


def made(token: ApiToken, secret: str, url: str) -> str:
    """The new token, shown this once, with how to use it."""
    can = "read the release and change it" if token.scope == WRITE else "read the release"
    return (
        f":key: Token `{token.name}` ({token.scope}) can {can}. Copy it now: it is not shown "
        f"again, and only its hash is kept.\n```{secret}```\n"
        f"Use it as `Authorization: Bearer <token>` with `{escape(url)}`; "
        f"`/release token revoke {token.name}` stops it."
    )


def listing(tokens: list[ApiToken], zone: ZoneInfo) -> str:
    """The release's live tokens: name, scope, maker, made, last used; never a secret."""
    if not tokens:
        return "This release has no API tokens. A lead makes one with `/release token add NAME`."
    lines = [f"*API tokens* ({len(tokens)}):"]
    for token in tokens[:MAX_LISTED]:
        used = when(token.last_used_at, zone) if token.last_used_at else "never used"
        lines.append(
            f"• `{token.name}` ({token.scope}), made by <@{token.made_by}> "
            f"{when(token.created_at, zone)}; last used: {used}"
        )
    return "\n".join(lines)


def revoked(token: ApiToken) -> str:
    """A revocation's confirmation."""
    return f"Token `{token.name}` is revoked: calls with it are refused from now on."
