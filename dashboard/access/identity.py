"""Who is acting: the signed-in person (or a job) and the role they act in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    email: str
    role: str
    user_id: int | None = None
    name: str = ""


SYSTEM = Actor(email="system", role="system")


def role_label(role: str) -> str:
    """ "account_manager" -> "Account manager"."""
    return role.replace("_", " ").capitalize()
