"""What the three correction pages (form, approvals, history) share: the Stripe gateway, what became
of a correction (banner, toast, "Check now"), and the decide / retry buttons' actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard.access.identity import Actor
from dashboard.billing.corrections import screens
from dashboard.billing.corrections.history import HistoryFilters
from dashboard.billing.corrections.rules import STATUS_LABELS
from dashboard.billing.revenue.fx import reporting_currency
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.core.errors import ConflictError, ValidationError
from dashboard.ui.cache_groups import Group, clear_group
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session, get_engine
from models import BillingCorrection
from models.billing import CorrectionStatus

DONE_KEY = "correction_done"
GOTO_KEY = "correction_goto_account"


def stripe_gateway() -> StripeGateway | None:
    try:
        return StripeGateway.from_settings()
    except StripeGatewayError as error:
        st.error(error.message, icon=":material/key_off:")
        return None


def history_view(filters: HistoryFilters) -> screens.CorrectionHistoryScreen:
    """The History page's screen, read fresh (an action on the page changes it)."""
    with db_session() as session:
        return screens.correction_history_screen(session, filters, reporting_currency=reporting_currency())


def check_now_button(actor: Actor, correction_id: int, *, key: str) -> None:
    """Ask Stripe now what became of an unknown correction (the scheduled job does it too)."""
    st.button(
        "Check now",
        icon=":material/sync:",
        key=key,
        on_click=_check_now,
        args=(actor, correction_id),
    )


def _check_now(actor: Actor, correction_id: int) -> None:
    try:
        correction = screens.check_with_stripe(get_engine(), actor, correction_id)
    except StripeGatewayError as error:
        st.error(error.message, icon=":material/key_off:")
        return
    except ConflictError as error:
        st.toast(str(error), icon=":material/error:")
        return
    announce(correction)
    st.session_state[DONE_KEY] = correction


def show_outcome(actor: Actor, correction: BillingCorrection) -> None:
    """What happened to a submitted, approved or retried correction, with a link to the account."""
    label = f"Correction #{correction.id}: {STATUS_LABELS[correction.status].lower()}"
    if correction.status == CorrectionStatus.EXECUTED:
        st.success(f"{label} in Stripe ({correction.stripe_result_id}).", icon=":material/check:")
    elif correction.status == CorrectionStatus.PENDING_APPROVAL:
        st.info(
            f"{label}: it is above the approval threshold (alone or with the account's recent "
            "corrections), so another account manager or admin must approve it.",
            icon=":material/hourglass:",
        )
    elif correction.status in (CorrectionStatus.UNKNOWN, CorrectionStatus.SENDING):
        st.warning(
            f"Correction #{correction.id}: Checking with Stripe… {correction.error_message or ''} "
            "Nothing is sent again before the console has looked for it in Stripe.",
            icon=":material/help:",
        )
        check_now_button(actor, correction.id or 0, key=f"check_{correction.id}")
    else:
        st.error(
            f"{label}. {correction.error_message or ''} Stripe refused it, so nothing happened; you "
            "can send it again from the History page.",
            icon=":material/error:",
        )
    if correction.account_id is not None:
        st.button(
            "Open the updated account",
            icon=":material/open_in_new:",
            key=f"goto_{correction.id}",
            on_click=st.session_state.__setitem__,
            args=(GOTO_KEY, correction.account_id),
        )


def outcome_banner(actor: Actor) -> None:
    """After an action: go to the account if asked, else show what happened to the last correction."""
    account_id = st.session_state.pop(GOTO_KEY, None)
    if account_id is not None:
        st.switch_page("app_pages/account.py", query_params={"id": str(account_id)})
    done = st.session_state.pop(DONE_KEY, None)
    if done is not None:
        show_outcome(actor, done)


def announce(correction: BillingCorrection) -> None:
    clear_group(Group.STRIPE)
    if correction.status == CorrectionStatus.EXECUTED:
        st.toast(f"Correction #{correction.id} executed.", icon=":material/check:")
    elif correction.status == CorrectionStatus.PENDING_APPROVAL:
        st.toast(f"Correction #{correction.id} is waiting for approval.", icon=":material/hourglass:")
    elif correction.status in (CorrectionStatus.UNKNOWN, CorrectionStatus.SENDING):
        st.toast(f"Correction #{correction.id}: checking with Stripe…", icon=":material/help:")
    else:
        st.toast(f"Correction #{correction.id} failed.", icon=":material/error:")


def _after(action: Callable[[], BillingCorrection], errors: FieldErrors, field: str) -> None:
    """Run an action on a stored correction; refusals show under `field`, the outcome after a rerun."""
    with errors.reported():
        try:
            correction = action()
        except ConflictError as error:
            raise ValidationError(str(error), field=field) from None
        announce(correction)
        st.session_state[DONE_KEY] = correction
        st.rerun()


def decide_queued(
    actor: Actor, row: dict[str, Any], decision: screens.Decision, *, reason: str, errors: FieldErrors
) -> None:
    """Approve (and send to Stripe at once) or reject a queued correction at the version shown."""
    _after(
        lambda: screens.decide(
            get_engine(), actor, row["id"], decision=decision, reason=reason, version=row["version"]
        ),
        errors,
        "decision_reason",
    )


def retry(actor: Actor, correction_id: int, errors: FieldErrors) -> None:
    """Send a failed correction again (Stripe refused it, so nothing happened the first time)."""

    def run() -> BillingCorrection:
        with st.status("Sending it to Stripe again…"):
            return screens.send_again(get_engine(), actor, correction_id)

    _after(run, errors, "retry")
