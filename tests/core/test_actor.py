"""Who acts: admins, people named and groups, asked of Slack at most once per group."""

from __future__ import annotations

from types import SimpleNamespace

from bot.core.actor import SYSTEM, Actor
from bot.core.config import Settings
from bot.core.services import Services

GROUP = "S_LEADS"


class Reader:
    """A group reader that counts what it is asked."""

    def __init__(self, members: dict[str, frozenset[str]]) -> None:
        self.members = members
        self.asked: list[str] = []

    def __call__(self, group_id: str) -> frozenset[str]:
        self.asked.append(group_id)
        return self.members.get(group_id, frozenset())


def test_a_named_holder_is_found_without_asking_about_groups() -> None:
    reader = Reader({GROUP: frozenset({"U_KIM"})})
    assert Actor("U_KIM", members_of=reader).holds(["U_KIM", GROUP])
    assert reader.asked == []


def test_each_group_is_asked_once_per_request() -> None:
    reader = Reader({GROUP: frozenset({"U_KIM"})})
    actor = Actor("U_KIM", members_of=reader)
    assert actor.holds([GROUP]) and actor.in_group(GROUP) and actor.holds(["U_SAM", GROUP])
    assert not actor.in_group("S_OTHER") and not actor.in_group("S_OTHER")
    assert reader.asked == [GROUP, "S_OTHER"]
    assert not Actor("U_SAM", members_of=reader).holds([GROUP])


def test_services_build_the_actor_from_the_admins_and_the_directory() -> None:
    reader = Reader({GROUP: frozenset({"U_KIM"})})
    bundle = SimpleNamespace(settings=Settings(admins=frozenset({"U_ADMIN"})))
    bundle.people = SimpleNamespace(members_of=reader)
    admin, kim = Services.actor(bundle, "U_ADMIN"), Services.actor(bundle, "U_KIM")  # type: ignore[arg-type]
    assert admin.admin and not kim.admin and kim.in_group(GROUP)
    assert admin == Actor("U_ADMIN", admin=True)  # equal by who, not by the reader


def test_the_system_actor_is_no_admin_and_in_no_group() -> None:
    assert SYSTEM.user == "releasebot" and not SYSTEM.admin and not SYSTEM.holds([GROUP])
