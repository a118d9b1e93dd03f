"""One privacy request: its facts, the actions its state allows, and its timeline."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.access.identity import Actor
from dashboard.core.csv_export import frame_to_csv
from dashboard.core.errors import ValidationError
from dashboard.privacy import deadlines, requests, subjects
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.jurisdiction import jurisdiction_note
from dashboard.privacy.queue import urgency
from dashboard.privacy.states import allowed_next, is_open
from dashboard.ui.privacy import (
    FieldErrors,
    draft_key,
    jurisdiction_label,
    save_request_change,
    seen_version_key,
    show_draft,
    status_label,
    type_label,
    viewer_today,
)
from dashboard.ui.store import db_session
from dashboard.ui.timezones import frame_to_viewer, to_viewer
from models import Account, Contact, PrivacyRequest, User


def show_request(actor: Actor, request_id: int) -> None:
    with db_session() as session:
        try:
            request = requests.get_request(session, request_id)
        except ValidationError as error:
            st.error(error.message)
            return
        events = requests.timeline(session, request_id)
        duplicates = (
            requests.likely_duplicates(
                session, type=request.type, email=request.subject_email, exclude_id=request.id
            )
            if is_open(request.status)
            else []
        )
        officers = requests.assignable_users(session)
        contacts = subjects.subject_contacts(session, request)
        client = session.get(Account, request.account_id) if request.account_id else None
        assignee = session.get(User, request.assignee_id) if request.assignee_id else None
    seen = st.session_state.setdefault(seen_version_key(request_id), request.version)
    if st.button("Back to the queue", icon=":material/arrow_back:", type="tertiary"):
        del st.query_params["id"]
        st.rerun()
    st.title(f"Request #{request.id} · {type_label(request.type)}")
    if request.type in ("access", "portability", "deletion") and st.button(
        "Exports and deletions for this request", icon=":material/folder_zip:"
    ):
        st.switch_page("app_pages/privacy_exports.py", query_params={"request": str(request.id)})
    _show_version_notice(request, seen)
    _show_facts(request, client, assignee)
    if duplicates:
        _show_duplicates(actor, request, duplicates)
    if is_open(request.status):
        _show_actions(actor, request, officers, contacts)
    _show_timeline(events)


def _show_version_notice(request: PrivacyRequest, seen: int) -> None:
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


def _show_facts(request: PrivacyRequest, client: Account | None, assignee: User | None) -> None:
    state = urgency(request.due_on, today=viewer_today(), status=request.status)
    top = st.columns(4)
    top[0].metric("Status", status_label(request.status))
    top[1].metric(
        "Due",
        f"{request.due_on:%d %b %Y}" if request.due_on else "—",
        state.label,
        delta_color="off" if state.level in ("green", "closed") else "inverse",
    )
    top[2].metric("Jurisdiction", jurisdiction_label(request.jurisdiction))
    top[3].metric("Assigned to", (assignee.name or assignee.email) if assignee else "nobody")
    st.caption("Subject")
    st.text(f"{request.subject_name} <{request.subject_email}>")
    facts = {
        "Law": jurisdiction_note(request),
        "Received": f"{request.received_on:%d %b %Y} via {request.channel.replace('_', ' ')}",
        "Clock started": f"{request.clock_started_on:%d %b %Y}" if request.clock_started_on else "—",
        "Acknowledge by": f"{request.acknowledge_by:%d %b %Y}" if request.acknowledge_by else "—",
        "Acknowledged": f"{request.acknowledged_on:%d %b %Y}" if request.acknowledged_on else "—",
        "Extended": (
            f"yes, subject told {request.extension_notified_on:%d %b %Y}: {request.extension_reason}"
            if request.extended
            else "no"
        ),
    }
    if request.denial_reason:
        facts["Denial reason"] = request.denial_reason
        facts["How to appeal"] = request.appeal_info or "—"
    if request.merged_into_id:
        facts["Merged into"] = f"request #{request.merged_into_id}"
    if request.is_processor:
        facts["Processor request for"] = client.company_name if client else "—"
        facts["Forwarded to client"] = _when(request.client_forwarded_at)
        facts["Client's instruction"] = (
            f"{request.client_instruction} ({_when(request.client_instruction_at)})"
            if request.client_instruction
            else "not yet received"
        )
    elif client:
        facts["Customer"] = client.company_name
    st.dataframe(
        pd.DataFrame({"": list(facts), "value": list(facts.values())}), hide_index=True, width="stretch"
    )
    if request.is_processor:
        st.info(
            "We are the client's processor here: the client owns the decision and the deadline. "
            "Forward the request and act only on the client's recorded instruction.",
            icon=":material/handshake:",
        )
    if request.notes:
        st.caption("Intake notes")
        st.text(request.notes)


def _when(value) -> str:
    shown = to_viewer(value)
    return f"{shown:%d %b %Y %H:%M %Z}" if shown else "—"


def _show_duplicates(actor: Actor, request: PrivacyRequest, duplicates: list[PrivacyRequest]) -> None:
    others = ", ".join(f"#{d.id} ({status_label(d.status).lower()})" for d in duplicates)
    st.warning(
        f"Likely duplicate: open {type_label(request.type).lower()} request(s) for the same email: {others}.",
        icon=":material/content_copy:",
    )
    errors = FieldErrors()
    with st.form(f"merge_{request.id}"):
        into = st.selectbox(
            "Merge this request into",
            [d.id for d in duplicates],
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


def _show_actions(
    actor: Actor, request: PrivacyRequest, officers: list[User], contacts: list[Contact]
) -> None:
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
        _status_form(actor, request)
    with tabs[1]:
        _assign_form(actor, request, officers)
    with tabs[2]:
        _extend_form(actor, request)
    with tabs[3]:
        _note_form(actor, request)
    with tabs[4]:
        _processor_forms(actor, request)
    with tabs[5]:
        _correction_form(actor, request, contacts)
    with tabs[6]:
        _opt_out_form(actor, request, contacts)
    with tabs[7]:
        _jurisdiction_form(actor, request)


def _jurisdiction_form(actor: Actor, request: PrivacyRequest) -> None:
    st.caption(jurisdiction_note(request))
    if not is_open(request.status):
        return
    errors = FieldErrors()
    others = [key for key in JURISDICTION_LABELS if key != request.jurisdiction]
    with st.form(f"jurisdiction_{request.id}"):
        chosen = st.selectbox(
            "Move to jurisdiction",
            others,
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


def _status_form(actor: Actor, request: PrivacyRequest) -> None:
    targets = [
        s for s in allowed_next(request.status, is_processor=request.is_processor) if s != "awaiting_client"
    ]
    if request.status == "verifying_identity":
        _identity_form(actor, request)
        targets = [s for s in targets if s != "in_progress"]
    rule = deadlines.rule_for(request.jurisdiction)
    errors = FieldErrors()
    with st.form(f"status_{request.id}"):
        target = st.selectbox(
            "New status",
            targets,
            index=None,
            format_func=status_label,
            placeholder="Choose the next step",
            key=f"status_to_{request.id}",
        )
        errors.slot("status")
        reason = st.text_area("Reason (required to deny)", key=f"status_reason_{request.id}")
        errors.slot("reason")
        required = " (required to deny under this law)" if rule.denial_needs_appeal_info else ""
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
    if request.acknowledge_by and not request.acknowledged_on:
        _acknowledge_form(actor, request)


def _identity_form(actor: Actor, request: PrivacyRequest) -> None:
    errors = FieldErrors()
    with st.form(f"identity_{request.id}"):
        arrived = st.date_input(
            "Identity proof or clarification arrived on",
            value=viewer_today(),
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
            today=viewer_today(),
        ):
            st.rerun()


def _acknowledge_form(actor: Actor, request: PrivacyRequest) -> None:
    errors = FieldErrors()
    with st.form(f"acknowledge_{request.id}"):
        on = st.date_input(
            f"Receipt confirmed to the subject on (due by {request.acknowledge_by:%d %b %Y})",
            value=viewer_today(),
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
            today=viewer_today(),
        ):
            st.rerun()


def _assign_form(actor: Actor, request: PrivacyRequest, officers: list[User]) -> None:
    errors = FieldErrors()
    names = {u.id: f"{u.name or u.email} ({u.role.replace('_', ' ')})" for u in officers}
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


def _extend_form(actor: Actor, request: PrivacyRequest) -> None:
    rule = deadlines.rule_for(request.jurisdiction)
    if request.extended or not rule.extendable or request.is_processor:
        st.caption(
            "No extension is possible: "
            + (
                "it was already extended once."
                if request.extended
                else "the client decides for its end users."
                if request.is_processor
                else f"{rule.label} allows none."
            )
        )
        return
    new_due = deadlines.extended_deadline(
        request.jurisdiction, received_on=request.received_on, clock_started_on=request.clock_started_on
    )
    st.caption(
        f"One extension is allowed: the deadline moves to {new_due:%d %b %Y}. The subject must be "
        f"told, with the reason, by {request.due_on:%d %b %Y}."
    )
    errors = FieldErrors()
    with st.form(f"extend_{request.id}"):
        reason = st.text_area("Reason for the extension", key=f"extend_reason_{request.id}")
        errors.slot("extension_reason")
        told = st.date_input("Subject told on", value=viewer_today(), key=f"extend_told_{request.id}")
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
            today=viewer_today(),
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


def _processor_forms(actor: Actor, request: PrivacyRequest) -> None:
    if not request.is_processor:
        st.caption("We are the controller for this subject; nothing goes to a client.")
        return
    errors = FieldErrors()
    if request.status != "awaiting_client":
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


def _correction_form(actor: Actor, request: PrivacyRequest, contacts: list[Contact]) -> None:
    if not contacts:
        st.caption("No contact in the store has this subject's email.")
        return
    by_id = {c.id: c for c in contacts}
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
                value=getattr(contact, field),
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


def _opt_out_form(actor: Actor, request: PrivacyRequest, contacts: list[Contact]) -> None:
    for contact in contacts:
        state = (
            f"opted out since {_when(contact.marketing_opt_out_at)}"
            if contact.marketing_opt_out
            else "receives marketing"
        )
        st.text(f"#{contact.id} {contact.email}: {state}")
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


def _show_timeline(events) -> None:
    st.subheader("Timeline")
    frame = pd.DataFrame(
        [{"at": e.at, "who": e.actor, "what": e.kind.replace("_", " "), "text": e.text} for e in events],
        columns=["at", "who", "what", "text"],
    )
    frame_to_viewer(frame, "at")
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
