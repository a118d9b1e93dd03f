"""Showing a refused input next to the field it belongs to, and an action that cannot succeed yet."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from dashboard.core.errors import PermissionDenied, ValidationError


class FieldErrors:
    """Reserve a slot under each field; `reported()` puts a refusal into its field's slot.

    The slot for `None` (the last one reserved without a field, or the end of the form) takes errors
    that name no field.
    """

    def __init__(self) -> None:
        self._slots: dict[str | None, st.delta_generator.DeltaGenerator] = {}

    def slot(self, field: str | None = None) -> None:
        self._slots[field] = st.empty()

    @contextmanager
    def reported(self) -> Iterator[None]:
        """Run the block; a ValidationError or PermissionDenied ends it and is shown, not raised."""
        try:
            yield
        except ValidationError as error:
            self.show(error)
        except PermissionDenied as error:
            self._place(None).error(str(error), icon=":material/block:")

    def show(self, error: ValidationError) -> None:
        """Put a refusal into the slot of the field it names."""
        self._place(error.field).error(error.message, icon=":material/error:")

    def _place(self, field: str | None):
        return self._slots.get(field) or self._slots.get(None) or st


def action_button(label: str, *, blocked: str | None, **button_options: Any) -> bool:
    """A button that is disabled, with the reason beside it, while its action cannot succeed.

    Blocked or not, the button sits in the same row: a rerun that unblocks it replaces the element
    in place, so the browser never shows the old disabled button beside the new one.
    """
    row = st.container(horizontal=True, vertical_alignment="center")
    if blocked is None:
        return row.button(label, **button_options)
    button_options.pop("type", None)  # a button that cannot be used is never the primary one
    row.button(label, disabled=True, help=blocked, **button_options)
    row.caption(f":material/block: {blocked}")
    return False
