"""What one source contributes to an export: categories of flat records, near matches, identities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

Progress = Callable[[float, str], None]  # (fraction done 0..1, what is happening)


def no_progress(_fraction: float, _text: str) -> None:
    return None


@dataclass
class SourcePart:
    """`categories` maps a category name to its records (flat dicts: one CSV each)."""

    categories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    near_matches: list[dict[str, Any]] = field(default_factory=list)  # for the officer, never in the ZIP
    identities: list[dict[str, Any]] = field(default_factory=list)  # e.g. Zendesk user ids per account
    notes: list[str] = field(default_factory=list)  # said in the README (e.g. what could not be matched)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.categories.items()}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourcePart:
        return cls(
            **{
                key: data.get(key) or type(default)()
                for key, default in (
                    ("categories", {}),
                    ("near_matches", []),
                    ("identities", []),
                    ("notes", []),
                )
            }
        )


def iso(value: datetime | int | None) -> str | None:
    """A stored datetime or a Unix timestamp as ISO 8601 UTC."""
    if value is None:
        return None
    if isinstance(value, int):
        return datetime.fromtimestamp(value, UTC).isoformat()
    return value.astimezone(UTC).isoformat() if value.tzinfo else value.replace(tzinfo=UTC).isoformat()
