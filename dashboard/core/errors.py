"""Errors the console shows to people: each names the form field it belongs to, when there is one."""

from __future__ import annotations


class ValidationError(ValueError):
    """Bad input: nothing was written and nothing was called."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(RuntimeError):
    """The record changed since it was read (optimistic versioning)."""


class PermissionDenied(PermissionError):
    """The actor's role does not allow this."""
