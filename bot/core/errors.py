"""Domain errors: each carries a message a user can read and act on."""


class DomainError(Exception):
    """A refusal the user caused and can fix; the message says what and how."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing the user named does not exist (here, now)."""


class Forbidden(DomainError):
    """The user may not do this; the message names who can."""


class Conflict(DomainError):
    """The state changed under the user (a race, a stale button, a duplicate)."""
