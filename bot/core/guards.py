"""What can hold a checklist step back, as the checklist asks it and other features provide it.

A guard takes (session, release, step) and returns None, or raises a DomainError that says
why the step may not be done now. The checklist asks every guard registered on Services
(`services.add_step_guard`); gonogo (no GO yet) and gates (a gate not passing) provide
theirs, so the checklist imports neither of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

StepGuard = Callable[[Session, Any, Any], None]
