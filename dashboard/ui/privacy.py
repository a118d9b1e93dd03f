"""Streamlit helpers shared by the privacy pages: labels, the viewer's today, field errors, saving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from dashboard.access.identity import Actor
from dashboard.core import clock
from dashboard.core.errors import ConflictError, ValidationError
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.requests import TYPE_LABELS
from dashboard.privacy.screens import QueueInputs, QueuePage, queue_page
from dashboard.privacy.states import STATUS_LABELS
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session
from dashboard.ui.timezones import viewer_timezone

URGENCY_COLOURS = {
    "overdue": "background-color: #b71c1c; color: white; font-weight: 600",
    "red": "background-color: #ffcdd2; color: #b71c1c",
    "amber": "background-color: #ffe0b2; color: #8a4b00",
    "green": "background-color: #c8e6c9; color: #1b5e20",
    "closed": "",
}


def type_label(value: str) -> str:
    return TYPE_LABELS.get(value, value)


def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


def jurisdiction_label(value: str) -> str:
    return JURISDICTION_LABELS.get(value, value)


def viewer_today() -> date:
    """Today in the viewer's zone: deadlines are dates, and "due today" means the viewer's today."""
    return clock.today(viewer_timezone())


def seen_version_key(request_id: int) -> str:
    return f"privacy_seen_version_{request_id}"


def draft_key(request_id: int) -> str:
    return f"privacy_draft_{request_id}"


def open_request(request_id: int) -> None:
    """Open a request from the queue as it is now (the version read starts afresh)."""
    st.session_state.pop(seen_version_key(request_id), None)
    st.query_params["id"] = str(request_id)
    st.rerun()


def show_draft(draft: dict[str, Any]) -> None:
    """What the officer typed but could not save, shown as plain text."""
    with st.expander("Your unsaved input (still in the form)", expanded=True):
        for label, value in draft.items():
            st.text(f"{label}: {value}")


def save_request_change(
    change: Callable[..., Any],
    actor: Actor,
    *,
    request_id: int,
    errors: FieldErrors,
    done: str,
    draft: dict[str, Any],
    **inputs: Any,
) -> bool:
    """Run one request change at the version this officer saw.

    On a conflict the typed input is kept in session state (and stays in the form) and shown again;
    on bad input the message goes next to its field. Returns True when saved.
    """
    seen = st.session_state[seen_version_key(request_id)]
    try:
        with db_session() as session:
            change(session, actor, request_id=request_id, expected_version=seen, **inputs)
    except ConflictError as conflict:
        st.session_state[draft_key(request_id)] = draft
        st.error(str(conflict), icon=":material/sync_problem:")
        show_draft(draft)
        return False
    except ValidationError as error:
        errors.show(error)
        return False
    st.session_state[seen_version_key(request_id)] = seen + 1
    st.session_state.pop(draft_key(request_id), None)
    st.toast(done, icon=":material/check:")
    return True


def queue_view(inputs: QueueInputs, viewer: Actor) -> QueuePage:
    """The privacy queue page's screen, read fresh (an assignment on the page changes it)."""
    with db_session() as session:
        return queue_page(session, inputs, viewer_id=viewer.user_id, today=viewer_today(), now=clock.now())
