"""The "Exports and deletions" page body: build/list/download/retry exports; plan, confirm and run
deletions step by step. Logic lives in dashboard.exports and dashboard.deletions."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.csv_export import frame_to_csv
from dashboard.deletions import plan as planning
from dashboard.deletions import steps as deletion
from dashboard.errors import ValidationError
from dashboard.exports import service
from dashboard.exports.parts import Progress
from dashboard.exports.systems import SYSTEM_LABELS, Systems, systems_from_settings
from dashboard.identity import Actor
from dashboard.ids import parse_id
from dashboard.privacy.requests import get_request
from dashboard.stripe_gateway import StripeGatewayError
from dashboard.ui.store import db_session
from dashboard.ui.timezones import frame_to_viewer
from dashboard.zendesk_gateway import ZendeskAccountError
from models import DataExport, PrivacyRequest, PrivacyRequestStep

OUTSIDE_ERRORS = (StripeGatewayError, ZendeskAccountError)


def _systems(request: PrivacyRequest) -> Systems:
    with db_session() as session:
        return systems_from_settings(session, request)


def show_configuration(systems: Systems) -> None:
    reached = (
        ["The console's store"]
        + (["Stripe"] if systems.stripe else [])
        + [f"Zendesk ({t.subdomain})" for t in systems.zendesk]
    )
    st.caption("Systems searched: " + ", ".join(reached))
    for system, reason in systems.unavailable.items():
        st.warning(f"{SYSTEM_LABELS[system]} is not configured here. {reason}", icon=":material/cloud_off:")


def _progress_bars() -> Callable[[str], Progress]:
    bars = {s: st.progress(0.0, text=f"{SYSTEM_LABELS[s]}: waiting") for s in service.SOURCE_ORDER}

    def progress_for(source: str) -> Progress:
        return lambda fraction, text: bars[source].progress(
            min(max(fraction, 0.0), 1.0), text=f"{SYSTEM_LABELS[source]}: {text}"
        )

    return progress_for


# --- exports ---------------------------------------------------------------------------------------------


def show_exports(actor: Actor, request: PrivacyRequest, systems: Systems) -> None:
    st.subheader("Export (access and portability)")
    if st.button("Build export", icon=":material/folder_zip:", type="primary"):
        _build(actor, request, systems)
    with db_session() as session:
        exports = service.list_exports(session, actor, request_id=request.id)  # purges expired ones
    if not exports:
        st.info("No export yet for this request.")
        return
    frame = pd.DataFrame(
        [
            {
                "Export": e.id,
                "Status": e.status,
                "Created": e.created_at,
                "Expires": e.expires_at,
                "Size (KB)": round((e.size_bytes or 0) / 1024, 1),
                "Downloads": e.download_count,
                "Cut short": e.incomplete_reason or "",
            }
            for e in exports
        ]
    )
    frame_to_viewer(frame, "Created", "Expires")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Created": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            "Expires": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
        },
    )
    st.download_button(
        "Download this table (CSV)",
        frame_to_csv(frame),
        f"exports-request-{request.id}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    for export in exports:
        if export.deleted_at is None and export.file_name:
            _export_actions(actor, request, export, systems)


def _build(actor: Actor, request: PrivacyRequest, systems: Systems) -> None:
    try:
        with db_session() as session:
            export_id = service.start_export(session, actor, request_id=request.id).id
    except ValidationError as error:
        st.error(error.message)
        return
    _collect(actor, export_id, systems, retry=False)


def _collect(actor: Actor, export_id: int, systems: Systems, *, retry: bool) -> None:
    with st.status(
        "Retrying the failed sources…" if retry else "Collecting the subject's data…", expanded=True
    ) as status:
        progress_for = _progress_bars()
        try:
            with db_session() as session:
                run = service.retry_failed if retry else service.collect
                export = run(session, actor, export_id=export_id, systems=systems, progress_for=progress_for)
                state, reason = export.status, export.incomplete_reason
        except ValidationError as error:
            status.update(label=error.message, state="error")
            return
        status.update(
            label=f"Export #{export_id}: {state}",
            state="complete" if state == "complete" else "error",
            expanded=False,
        )
    if reason:
        st.warning(f"Export #{export_id} is incomplete: {reason}")
    st.toast(f"Export #{export_id} built ({state}).", icon=":material/folder_zip:")


def _export_actions(actor: Actor, request: PrivacyRequest, export: DataExport, systems: Systems) -> None:
    columns = st.columns([2, 2, 3])
    columns[0].download_button(
        f"Download export #{export.id}",
        data=_deferred_download(actor, export.id),
        file_name=f"privacy-request-{request.id}-export-{export.id}.zip",
        mime="application/zip",
        icon=":material/download:",
        key=f"download_{export.id}",
        on_click="ignore",
    )
    if export.status == "incomplete" and columns[1].button(
        "Retry failed sources", key=f"retry_{export.id}", icon=":material/refresh:"
    ):
        _collect(actor, export.id, systems, retry=True)
    matches = service.near_matches(export)
    if matches:
        with columns[2].expander(f"{len(matches)} near match(es) excluded: review"):
            st.caption(
                "Records whose email is close to, but not exactly, the verified email. They are not "
                "in the export; if one really is the subject's, verify it before sending anything."
            )
            st.dataframe(pd.DataFrame(matches), hide_index=True)


def _deferred_download(actor: Actor, export_id: int) -> Callable[[], bytes]:
    """Read (and audit) the file only when the officer actually clicks Download."""

    def read() -> bytes:
        with db_session() as session:
            return service.download(session, actor, export_id=export_id)[1]

    return read


# --- deletions -------------------------------------------------------------------------------------------


def _plan_key(request_id: int) -> str:
    return f"deletion_plan_{request_id}"


def show_deletion(actor: Actor, request: PrivacyRequest, systems: Systems) -> None:
    st.subheader("Deletion")
    with db_session() as session:
        steps = deletion.deletion_steps(session, request.id)
    if steps:
        _show_steps(actor, request, steps, systems)
    else:
        _plan_and_confirm(actor, request, systems)


def _plan_and_confirm(actor: Actor, request: PrivacyRequest, systems: Systems) -> None:
    if st.button("Prepare the deletion plan", icon=":material/checklist:", type="primary"):
        with st.status("Looking the subject up in every system…") as status:
            try:
                with db_session() as session:
                    st.session_state[_plan_key(request.id)] = planning.build_plan(session, request, systems)
                status.update(label="Plan ready", state="complete")
            except OUTSIDE_ERRORS as error:
                status.update(label=f"Could not prepare the plan: {error.message}", state="error")
    plan: planning.DeletionPlan | None = st.session_state.get(_plan_key(request.id))
    if plan is None:
        st.caption(
            "The plan lists per system what will be deleted or anonymised, and what is kept and why. "
            "Nothing is deleted before you confirm it."
        )
        return
    lines = pd.DataFrame(
        [
            {"System": SYSTEM_LABELS[line.system], "Action": line.action, "What": line.what, "Why": line.why}
            for line in plan.lines
        ]
    )
    st.dataframe(lines, hide_index=True, width="stretch")
    st.download_button(
        "Download the plan (CSV)",
        frame_to_csv(lines),
        f"deletion-plan-{request.id}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    if plan.near_matches:
        st.caption("Near matches (not exactly the verified email) are left alone:")
        st.dataframe(pd.DataFrame(plan.near_matches), hide_index=True)
    confirmed = True
    if plan.open_subscriptions:
        st.warning(
            f"{len(plan.open_subscriptions)} subscription(s) are still open: "
            + ", ".join(f"{s['id']} ({s['status']})" for s in plan.open_subscriptions)
        )
        confirmed = st.checkbox(
            "I confirm that deleting the Stripe customer cancels these subscriptions",
            key=f"confirm_cancellation_{request.id}",
        )
    if st.button("Confirm the plan", icon=":material/task_alt:"):
        try:
            with db_session() as session:
                deletion.confirm_plan(
                    session,
                    actor,
                    request_id=request.id,
                    plan=plan,
                    cancellation_confirmed=confirmed,
                    systems_unavailable=systems.unavailable,
                )
        except ValidationError as error:
            st.error(error.message)
            return
        st.session_state.pop(_plan_key(request.id), None)
        st.toast("Deletion plan confirmed.", icon=":material/task_alt:")
        st.rerun()


def _show_steps(
    actor: Actor, request: PrivacyRequest, steps: list[PrivacyRequestStep], systems: Systems
) -> None:
    frame = pd.DataFrame(
        [
            {
                "System": SYSTEM_LABELS[s.system],
                "Status": s.status,
                "Attempts": s.attempts,
                "Done by": s.done_by,
                "Finished": s.finished_at,
                "Verified": s.verified_at,
                "Last error": s.last_error or "",
            }
            for s in steps
        ]
    )
    frame_to_viewer(frame, "Finished", "Verified")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Finished": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            "Verified": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
        },
    )
    waiting = [s for s in steps if s.status not in deletion.FINISHED]
    if waiting and st.button("Run the remaining steps", icon=":material/play_arrow:", type="primary"):
        _run(actor, [s.id for s in waiting], systems)
    for step in (s for s in steps if s.status == "failed"):
        if st.button(
            f"Retry {SYSTEM_LABELS[step.system]}", key=f"retry_step_{step.id}", icon=":material/refresh:"
        ):
            _run(actor, [step.id], systems)
    with db_session() as session:
        record = deletion.deletion_record(session, request.id)
    st.download_button(
        "Download the deletion record (JSON)",
        json.dumps(record, indent=2),
        f"deletion-record-request-{request.id}.json",
        mime="application/json",
        icon=":material/download:",
    )


def _run(actor: Actor, step_ids: list[int], systems: Systems) -> None:
    with st.status("Running the deletion steps…", expanded=True) as status:
        bar = st.progress(0.0)
        outcome = []
        for number, step_id in enumerate(step_ids, start=1):
            try:
                with db_session() as session:  # one transaction per step: a crash loses one step at most
                    step = deletion.run_step(session, actor, step_id=step_id, systems=systems)
                    outcome.append((step.system, step.status, step.last_error))
            except ValidationError as error:
                status.update(label=error.message, state="error")
                return
            bar.progress(number / len(step_ids), text=f"{SYSTEM_LABELS[outcome[-1][0]]}: {outcome[-1][1]}")
        failed = [f"{SYSTEM_LABELS[s]}: {e}" for s, state, e in outcome if state == "failed"]
        status.update(
            label="Steps failed: " + "; ".join(failed) if failed else "All steps done and verified",
            state="error" if failed else "complete",
        )
    st.toast("Deletion steps run.", icon=":material/delete_forever:")
    st.rerun()


def show_page(actor: Actor) -> None:
    st.title("Exports and deletions")
    with db_session() as session:
        choices = service.request_choices(session)
    raw = st.query_params.get("request")
    chosen = parse_id(raw)
    if raw is not None and chosen is None:
        st.error("No such request.")
        return
    options = list(choices) if chosen is None or chosen in choices else [chosen, *choices]
    if not options:
        st.info("There is no open access, portability or deletion request.")
        return
    picked = st.selectbox(
        "Request",
        options,
        index=options.index(chosen) if chosen in options else 0,
        format_func=lambda i: choices.get(i, f"#{i}"),
    )
    st.query_params["request"] = str(picked)
    with db_session() as session:
        try:
            request = get_request(session, picked)
        except ValidationError as error:
            st.error(error.message)
            return
    if st.button(f"Open request #{request.id}", icon=":material/arrow_back:", type="tertiary"):
        st.switch_page("app_pages/privacy_requests.py", query_params={"id": str(request.id)})
    systems = _systems(request)
    show_configuration(systems)
    if request.type in service.EXPORT_TYPES:
        show_exports(actor, request, systems)
    elif request.type == "deletion":
        show_deletion(actor, request, systems)
    else:
        st.info("This request type needs no export or deletion.")
