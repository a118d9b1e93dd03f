"""Privacy requests: the officer's queue (overdue first, filters in the URL), or one request with ?id=N
(its facts, the forms for the steps its state allows, and its timeline; figures and rules:
`dashboard.privacy.screens.request_detail_screen`)."""

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.access.identity import Actor
from dashboard.core import clock
from dashboard.core.csv_export import frame_to_csv
from dashboard.core.errors import ConflictError, ValidationError
from dashboard.core.ids import parse_id
from dashboard.presentation.columns import csv_frame
from dashboard.presentation.palette import URGENCY_CELLS
from dashboard.presentation.text import count
from dashboard.privacy import queue, requests, subjects
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.labels import jurisdiction_label, status_label, type_label
from dashboard.privacy.requests import TYPE_LABELS
from dashboard.privacy.screens import (
    QUEUE_COLUMNS,
    ProcessorStep,
    QueueInputs,
    QueuePage,
    RequestDetail,
    SubjectContact,
    queue_page,
    request_detail_screen,
)
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS
from dashboard.ui.access import require_page
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session
from dashboard.ui.tables import csv_download, table_frame
from dashboard.ui.timezones import frame_to_viewer, viewer_timezone, viewer_today
from dashboard.ui.url_filters import url_selectbox, url_value
from models import PrivacyRequest


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


def show_request(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    seen = st.session_state.setdefault(seen_version_key(request.id), request.version)
    if st.button("Back to the queue", icon=":material/arrow_back:", type="tertiary"):
        del st.query_params["id"]
        st.rerun()
    st.title(detail.title)
    if detail.has_exports and st.button(
        "Exports and deletions for this request", icon=":material/folder_zip:"
    ):
        st.switch_page("app_pages/privacy_exports.py", query_params={"request": str(request.id)})
    _show_version_notice(detail, seen)
    _show_facts(detail)
    if detail.duplicates:
        _show_duplicates(actor, detail)
    if detail.open:
        _show_actions(actor, detail)
    _show_timeline(detail.timeline)


def _show_version_notice(detail: RequestDetail, seen: int) -> None:
    request = detail.request
    draft = st.session_state.get(draft_key(request.id))
    if request.version != seen:
        st.warning(
            "Someone else changed this request since you opened it. What you typed is kept in the "
            "forms below; look at the newest facts and timeline, then save again.",
            icon=":material/sync_problem:",
        )
        if st.button("Show the latest version", icon=":material/refresh:"):
            st.session_state[seen_version_key(request.id)] = request.version
            st.rerun()
    if draft:
        show_draft(draft)


def _show_facts(detail: RequestDetail) -> None:
    # Words, not figures: shown whole (a metric cuts "Awaiting client instruction" at a quarter width).
    facts = (
        ("status", "Status", detail.status),
        ("due", "Due", detail.due),
        ("jurisdiction", "Jurisdiction", detail.jurisdiction),
        ("assignee", "Assigned to", detail.assignee),
    )
    for column, (key, label, value) in zip(st.columns(4), facts, strict=True):
        fact = column.container(key=f"request_{key}")  # class st-key-request_<key>
        fact.caption(label)
        fact.text(value)
        if key == "due":
            fact.badge(detail.due_state, color="red" if detail.due_alarming else "gray")
    st.caption("Subject")
    st.text(detail.subject)
    table = pd.DataFrame({"Fact": list(detail.facts), "Detail": list(detail.facts.values())})
    st.table(table.style.hide(axis="index"))  # a table wraps long facts (the law and its reason) whole
    if detail.processor:
        st.info(
            "We are the client's processor here: the client owns the decision and the deadline. "
            "Forward the request and act only on the client's recorded instruction.",
            icon=":material/handshake:",
        )
    if detail.notes:
        st.caption("Intake notes")
        st.text(detail.notes)


def _show_duplicates(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    st.warning(detail.duplicate_warning, icon=":material/content_copy:")
    errors = FieldErrors()
    with st.form(f"merge_{request.id}"):
        into = st.selectbox(
            "Merge this request into",
            detail.duplicates,
            format_func=lambda i: f"#{i}",
            key=f"merge_into_{request.id}",
        )
        errors.slot("merge_into")
        if st.form_submit_button("Merge as duplicate", icon=":material/merge:") and save_request_change(
            requests.merge_duplicate,
            actor,
            request_id=request.id,
            errors=errors,
            done=f"Merged into #{into}.",
            draft={"Merge into": into},
            into_id=into,
        ):
            st.rerun()


def _show_actions(actor: Actor, detail: RequestDetail) -> None:
    tabs = st.tabs(
        [
            "Status",
            "Assign",
            "Extend",
            "Note",
            "Client (processor)",
            "Correct contact",
            "Marketing opt-out",
            "Jurisdiction",
        ]
    )
    with tabs[0]:
        _status_form(actor, detail)
    with tabs[1]:
        _assign_form(actor, detail)
    with tabs[2]:
        _extend_form(actor, detail)
    with tabs[3]:
        _note_form(actor, detail.request)
    with tabs[4]:
        _processor_forms(actor, detail)
    with tabs[5]:
        _correction_form(actor, detail)
    with tabs[6]:
        _opt_out_form(actor, detail)
    with tabs[7]:
        _jurisdiction_form(actor, detail)


def _jurisdiction_form(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    st.caption(detail.jurisdiction_note)
    errors = FieldErrors()
    with st.form(f"jurisdiction_{request.id}"):
        chosen = st.selectbox(
            "Move to jurisdiction",
            detail.jurisdiction_choices,
            format_func=jurisdiction_label,
            key=f"jurisdiction_to_{request.id}",
        )
        errors.slot("jurisdiction")
        reason = st.text_area("Reason for the change", key=f"jurisdiction_reason_{request.id}")
        errors.slot("jurisdiction_reason")
        st.caption("The deadlines are counted again under the new law, from the same receipt date.")
        if st.form_submit_button("Change jurisdiction", type="primary") and save_request_change(
            requests.change_jurisdiction,
            actor,
            request_id=request.id,
            errors=errors,
            done=f"Now under {jurisdiction_label(chosen)}.",
            draft={"Jurisdiction": jurisdiction_label(chosen), "Reason": reason},
            jurisdiction=chosen,
            reason=reason,
        ):
            st.rerun()


def _status_form(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    if detail.confirms_identity:
        _identity_form(actor, detail)
    errors = FieldErrors()
    with st.form(f"status_{request.id}"):
        target = st.selectbox(
            "New status",
            detail.status_targets,
            index=None,
            format_func=status_label,
            placeholder="Choose the next step",
            key=f"status_to_{request.id}",
        )
        errors.slot("status")
        reason = st.text_area("Reason (required to deny)", key=f"status_reason_{request.id}")
        errors.slot("reason")
        required = " (required to deny under this law)" if detail.appeal_required else ""
        appeal = st.text_area(
            f"How the subject can appeal or complain{required}", key=f"status_appeal_{request.id}"
        )
        errors.slot("appeal_info")
        if st.form_submit_button("Change status", type="primary"):
            if target is None:
                errors.show(ValidationError("Choose the next step.", field="status"))
            elif save_request_change(
                requests.change_status,
                actor,
                request_id=request.id,
                errors=errors,
                done=f"Status: {status_label(target)}.",
                draft={"New status": status_label(target), "Reason": reason, "Appeal": appeal},
                status=target,
                reason=reason,
                appeal_info=appeal,
            ):
                st.rerun()
    if detail.acknowledge_by:
        _acknowledge_form(actor, detail)


def _identity_form(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    errors = FieldErrors()
    with st.form(f"identity_{request.id}"):
        arrived = st.date_input(
            "Identity proof or clarification arrived on",
            value=detail.today,
            key=f"identity_on_{request.id}",
        )
        errors.slot("identity_received_on")
        if st.form_submit_button("Identity confirmed: start work") and save_request_change(
            requests.confirm_identity,
            actor,
            request_id=request.id,
            errors=errors,
            done="Identity confirmed.",
            draft={"Identity proof arrived": arrived},
            received_on=arrived,
            today=detail.today,
        ):
            st.rerun()


def _acknowledge_form(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    errors = FieldErrors()
    with st.form(f"acknowledge_{request.id}"):
        on = st.date_input(
            f"Receipt confirmed to the subject on (due by {detail.acknowledge_by:%d %b %Y})",
            value=detail.today,
            key=f"ack_on_{request.id}",
        )
        errors.slot("acknowledged_on")
        if st.form_submit_button("Record acknowledgement") and save_request_change(
            requests.acknowledge,
            actor,
            request_id=request.id,
            errors=errors,
            done="Acknowledged.",
            draft={"Acknowledged on": on},
            acknowledged_on=on,
            today=detail.today,
        ):
            st.rerun()


def _assign_form(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    errors = FieldErrors()
    names = detail.officers
    with st.form(f"assign_{request.id}"):
        choice = st.selectbox(
            "Assign to",
            [None, *names],
            format_func=lambda i: names.get(i, "Nobody"),
            key=f"assign_to_{request.id}",
        )
        errors.slot("assignee")
        if st.form_submit_button("Assign", type="primary") and save_request_change(
            requests.assign,
            actor,
            request_id=request.id,
            errors=errors,
            done=f"Assigned to {names.get(choice, 'nobody')}.",
            draft={"Assign to": names.get(choice)},
            assignee_id=choice,
        ):
            st.rerun()


def _extend_form(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    if detail.extension_blocked:
        st.caption(f"No extension is possible: {detail.extension_blocked}")
        return
    new_due = detail.extended_due
    st.caption(
        f"One extension is allowed: the deadline moves to {new_due:%d %b %Y}. The subject must be "
        f"told, with the reason, by {request.due_on:%d %b %Y}."
    )
    errors = FieldErrors()
    with st.form(f"extend_{request.id}"):
        reason = st.text_area("Reason for the extension", key=f"extend_reason_{request.id}")
        errors.slot("extension_reason")
        told = st.date_input("Subject told on", value=detail.today, key=f"extend_told_{request.id}")
        errors.slot("extension_notified_on")
        errors.slot("extension")
        if st.form_submit_button("Extend deadline", type="primary") and save_request_change(
            requests.extend,
            actor,
            request_id=request.id,
            errors=errors,
            done=f"Extended to {new_due:%d %b %Y}.",
            draft={"Extension reason": reason, "Told on": told},
            reason=reason,
            notified_on=told,
            today=detail.today,
        ):
            st.rerun()


def _note_form(actor: Actor, request: PrivacyRequest) -> None:
    errors = FieldErrors()
    with st.form(f"note_{request.id}"):
        text = st.text_area("Note for the timeline", key=f"note_text_{request.id}")
        errors.slot("note")
        if st.form_submit_button("Add note") and save_request_change(
            requests.add_note,
            actor,
            request_id=request.id,
            errors=errors,
            done="Note added.",
            draft={"Note": text},
            text=text,
        ):
            st.session_state.pop(f"note_text_{request.id}", None)
            st.rerun()


def _processor_forms(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    if detail.processor_step is None:
        st.caption("We are the controller for this subject; nothing goes to a client.")
        return
    errors = FieldErrors()
    if detail.processor_step is ProcessorStep.FORWARD:
        with st.form(f"forward_{request.id}"):
            note = st.text_area("How and to whom it was forwarded", key=f"forward_note_{request.id}")
            errors.slot("forward_note")
            errors.slot("status")
            if st.form_submit_button("Forward to client", type="primary") and save_request_change(
                requests.forward_to_client,
                actor,
                request_id=request.id,
                errors=errors,
                done="Forwarding recorded.",
                draft={"Forwarding note": note},
                note=note,
            ):
                st.rerun()
        return
    with st.form(f"instruction_{request.id}"):
        instruction = st.text_area("The client's instruction", key=f"instruction_{request.id}")
        errors.slot("client_instruction")
        if st.form_submit_button("Record instruction", type="primary") and save_request_change(
            requests.record_client_instruction,
            actor,
            request_id=request.id,
            errors=errors,
            done="Instruction recorded.",
            draft={"Client instruction": instruction},
            instruction=instruction,
        ):
            st.rerun()


def _correction_form(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    if not detail.contacts:
        st.caption("No contact in the store has this subject's email.")
        return
    by_id: dict[int, SubjectContact] = {c.id: c for c in detail.contacts}
    contact_id = st.selectbox(
        "Contact",
        list(by_id),
        format_func=lambda i: f"#{i} {by_id[i].email}",
        key=f"correct_contact_{request.id}",
    )
    contact = by_id[contact_id]
    errors = FieldErrors()
    with st.form(f"correct_{request.id}_{contact_id}"):
        values = {}
        for field, (label, _limit, _required) in subjects.CORRECTABLE_FIELDS.items():
            values[field] = st.text_input(
                label.capitalize(),
                value=contact.values[field],
                key=f"correct_{field}_{request.id}_{contact_id}",
            )
            errors.slot(f"contact_{field}")
        errors.slot("contact")
        if st.form_submit_button("Save correction", type="primary") and save_request_change(
            subjects.correct_contact,
            actor,
            request_id=request.id,
            errors=errors,
            done="Contact corrected.",
            draft=values,
            contact_id=contact_id,
            values=values,
        ):
            st.rerun()


def _opt_out_form(actor: Actor, detail: RequestDetail) -> None:
    request = detail.request
    for contact in detail.contacts:
        st.text(f"#{contact.id} {contact.email}: {contact.marketing}")
    errors = FieldErrors()
    with st.form(f"opt_out_{request.id}"):
        errors.slot("opt_out")
        if st.form_submit_button("Opt out of marketing now") and save_request_change(
            subjects.apply_opt_out,
            actor,
            request_id=request.id,
            errors=errors,
            done="Marketing opt-out set.",
            draft={"Opt-out": "now"},
        ):
            st.rerun()


def _show_timeline(timeline: pd.DataFrame) -> None:
    st.subheader("Timeline")
    frame = frame_to_viewer(timeline.copy(), "at")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm z"),
            "who": "Who",
            "what": "What",
            "text": st.column_config.TextColumn("Details"),
        },
    )
    st.download_button(
        "Download timeline (CSV)",
        frame_to_csv(frame),
        file_name="request-timeline.csv",
        mime="text/csv",
        icon=":material/download:",
    )


actor = require_page("privacy")

opened = st.query_params.get("id")
if opened is not None:
    request_id = parse_id(opened)
    if request_id is None:
        st.error("No such request.")
    else:
        try:
            with db_session() as session:
                detail = request_detail_screen(
                    session, request_id, today=viewer_today(), zone=viewer_timezone()
                )
        except ValidationError as error:
            st.error(error.message)
        else:
            show_request(actor, detail)
    st.stop()

st.title("Privacy requests")
filter_columns = st.columns([2, 3, 2, 2, 1])
types = filter_columns[0].multiselect(
    "Type", list(TYPE_LABELS), format_func=type_label, key="type", bind="query-params"
)
statuses = filter_columns[1].multiselect(
    "Status",
    list(STATUS_LABELS),
    default=list(OPEN_STATUSES),
    format_func=status_label,
    key="status",
    bind="query-params",
)
jurisdictions = filter_columns[2].multiselect(
    "Jurisdiction",
    list(JURISDICTION_LABELS),
    format_func=jurisdiction_label,
    key="jurisdiction",
    bind="query-params",
)
mine = filter_columns[4].toggle("Mine", key="mine", bind="query-params")

# The officers to filter by come with the screen, so the Assignee filter is drawn after it; so is the
# calendar toggle below the table (its last value is in the session).
inputs = QueueInputs(
    filters=queue.QueueFilters(
        types=tuple(types), statuses=tuple(statuses), jurisdictions=tuple(jurisdictions)
    ),
    assignee=url_value("assignee", None),
    mine=mine,
    calendar_mine=st.session_state.get("ics_mine", False),
)
page = queue_view(inputs, actor)
url_selectbox(
    filter_columns[3], "Assignee", page.assignees, key="assignee", default=None, placeholder="Anyone"
)
screen = page.queue
frame = screen.rows
metrics = st.columns(4)
metrics[0].metric("Shown", count(screen.shown))
metrics[1].metric("Overdue", count(screen.overdue))
metrics[2].metric("Due today", count(screen.due_today))
metrics[3].metric("Under 5 days", count(screen.under_five_days))
st.caption(f"Deadlines are dates; today is {screen.today:%A %d %B %Y} in your time zone.")

shown, config = table_frame(frame, QUEUE_COLUMNS)
styled = shown.style.apply(lambda _: frame["urgency"].map(URGENCY_CELLS), subset=["deadline", "due_on"])
picked = st.dataframe(
    styled,
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="queue_table",
    column_config=config,
)
csv_download(
    csv_frame(frame, QUEUE_COLUMNS),
    file_name="privacy-queue.csv",
    key="queue_csv",
    label="Download queue (CSV)",
)
st.toggle("Calendar: only requests assigned to me", key="ics_mine")
st.download_button(
    "Deadlines for my calendar (ICS)",
    page.calendar,
    file_name="privacy-deadlines.ics",
    mime="text/calendar",
    icon=":material/calendar_month:",
    help="Every open request's due date and owed acknowledgement, as all-day events (no personal data).",
)

selected = picked.selection.rows if picked else []
if selected:
    row = frame.iloc[selected[0]]
    st.subheader(f"Request #{row['id']}")
    left, right = st.columns([1, 3])
    if left.button("Open request", icon=":material/open_in_new:", type="primary"):
        open_request(int(row["id"]))
    with right.form("queue_assign"):
        names = page.officers
        to = st.selectbox("Assign to", [None, *names], format_func=lambda i: names.get(i, "Nobody"))
        if st.form_submit_button("Assign"):
            try:
                with db_session() as session:
                    requests.assign(
                        session,
                        actor,
                        request_id=int(row["id"]),
                        expected_version=int(row["version"]),
                        assignee_id=to,
                    )
                st.toast(
                    f"Request #{row['id']} assigned to {names.get(to, 'nobody')}.", icon=":material/check:"
                )
                st.rerun()
            except (ConflictError, ValidationError) as error:
                st.error(str(error))

with st.form("open_by_number"):
    number = st.number_input("Open request number", min_value=1, step=1, value=None)
    if st.form_submit_button("Open") and number:
        open_request(int(number))
