"""The request state machine: which status may follow which; everything else is refused."""

from __future__ import annotations

from dashboard.core.errors import ValidationError

STATUS_LABELS = {
    "new": "New",
    "verifying_identity": "Verifying identity",
    "in_progress": "In progress",
    "awaiting_client": "Awaiting client instruction",
    "completed": "Completed",
    "denied": "Denied",
    "withdrawn": "Withdrawn",
}
OPEN_STATUSES = ("new", "verifying_identity", "in_progress", "awaiting_client")
CLOSED_STATUSES = ("completed", "denied", "withdrawn")

# awaiting_client is only for processor requests (checked in `check_transition`).
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"verifying_identity", "in_progress", "awaiting_client", "denied", "withdrawn"}),
    "verifying_identity": frozenset({"in_progress", "awaiting_client", "denied", "withdrawn"}),
    "in_progress": frozenset({"verifying_identity", "completed", "denied", "withdrawn"}),
    "awaiting_client": frozenset({"in_progress", "denied", "withdrawn"}),
    "completed": frozenset(),
    "denied": frozenset(),
    "withdrawn": frozenset(),
}


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def allowed_next(status: str, *, is_processor: bool) -> list[str]:
    """The statuses a request may move to next, in display order."""
    targets = TRANSITIONS.get(status, frozenset())
    if not is_processor:
        targets = targets - {"awaiting_client"}
    return [s for s in STATUS_LABELS if s in targets]


def check_transition(current: str, target: str, *, is_processor: bool) -> None:
    """Raise ValidationError unless `current` → `target` is allowed."""
    if target not in STATUS_LABELS:
        raise ValidationError(f"Unknown status “{target}”.", field="status")
    if target not in allowed_next(current, is_processor=is_processor):
        if target == "awaiting_client" and not is_processor:
            reason = "only requests handled as the client's processor wait for a client instruction"
        elif not is_open(current):
            reason = f"the request is already {STATUS_LABELS[current].lower()}"
        else:
            reason = "that step is not allowed from here"
        raise ValidationError(
            f"Cannot move from {STATUS_LABELS[current]} to {STATUS_LABELS[target]}: {reason}.", field="status"
        )
