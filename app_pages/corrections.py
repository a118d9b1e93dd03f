"""Billing corrections: refund, credit note, discount, quantity or price change, void — checked, then sent.

Account → action → object → what will happen → reason → submit. The account, the action and the object
are kept in the URL (`?account=&kind=&target=`), so Account 360's "Correct billing" opens the form on
them. The chosen object is read fresh from Stripe when it is picked; its fingerprint and a new form
token (the future idempotency key) stay in the session until the correction is submitted, so a double
click or a resubmitted form is the same correction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.billing.corrections import screens
from dashboard.billing.corrections.form import CorrectionForm
from dashboard.billing.corrections.kinds import KINDS
from dashboard.billing.corrections.kinds.credit_note import CREDIT_OUTCOMES
from dashboard.billing.corrections.kinds.discount import DURATIONS
from dashboard.billing.corrections.rules import REASON_CATEGORIES
from dashboard.billing.corrections.screens import CorrectionsInputs, CorrectionsScreen
from dashboard.billing.corrections.targets import Target
from dashboard.billing.corrections.validation import check, open_target
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.core import clock
from dashboard.core.money import accepted_form, exponent
from dashboard.ui.access import require_page
from dashboard.ui.corrections import DONE_KEY, announce, outcome_banner, stripe_gateway
from dashboard.ui.forms import FieldErrors, action_button
from dashboard.ui.store import db_session, get_engine
from dashboard.ui.tables import show_table

OPENED_KEY = "correction_opened"
URL_KEYS = {"corr_account": "account", "corr_kind": "kind", "corr_target": "target"}
FIELD_KEYS = (
    "corr_amount",
    "corr_outcome",
    "corr_coupon",
    "corr_percent",
    "corr_amount_off",
    "corr_duration",
    "corr_months",
    "corr_discount",
    "corr_item",
    "corr_quantity",
    "corr_price",
    "corr_reason_category",
    "corr_reason_text",
)


@dataclass(frozen=True)
class Opened:
    """A target read fresh from Stripe when the form opened, with the token of this form."""

    kind: str
    target: Target
    token: str
    proration_date: int


def remember_in_url(key: str) -> None:
    """A choice goes into the URL; a new account or action drops the object chosen before."""
    value = st.session_state.get(key)
    if value is None:
        st.query_params.pop(URL_KEYS[key], None)
    else:
        st.query_params[URL_KEYS[key]] = str(value)
    if key != "corr_target":
        st.query_params.pop("target", None)


def show_what_the_url_says(screen: CorrectionsScreen) -> None:
    """The pickers start from the URL (a shared link, or Account 360's "Correct billing")."""
    st.session_state["corr_account"] = screen.account_id
    st.session_state["corr_kind"] = screen.kind
    st.session_state["corr_target"] = screen.target_id


def open_fresh(kind: str, target_id: str, gateway: StripeGateway, proration_date: int) -> Opened | None:
    """The form state for this target, read fresh from Stripe the first time it is chosen."""
    opened: Opened | None = st.session_state.get(OPENED_KEY)
    if opened and opened.kind == kind and opened.target.id == target_id:
        return opened
    try:
        with st.spinner("Reading it from Stripe…"):
            target = open_target(gateway, kind=kind, object_id=target_id)
    except StripeGatewayError as error:
        st.error(error.message)
        return None
    opened = Opened(kind, target, uuid.uuid4().hex, proration_date)
    st.session_state[OPENED_KEY] = opened
    return opened


def money_input(label: str, currency: str, key: str) -> str:
    digits = exponent(currency)
    return st.text_input(
        f"{label} ({currency.upper()})",
        key=key,
        placeholder="0." + "0" * digits if digits else "0",
        help=f"Type it as {accepted_form(currency)}.",
    )


def choice(label: str, options: dict[str, str], key: str, **options_: Any) -> Any:
    return st.selectbox(label, list(options), format_func=options.get, key=key, **options_)


def amount_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    amount = money_input("Amount", opened.target.currency, "corr_amount")
    errors.slot("amount")
    errors.slot("currency")
    return {"amount": amount}


def outcome_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    if not screens.asks_credit_outcome(opened.target):
        return {}
    outcome = st.radio(
        "Where the money goes", list(CREDIT_OUTCOMES), format_func=CREDIT_OUTCOMES.get, key="corr_outcome"
    )
    errors.slot("credit_outcome")
    return {"credit_outcome": outcome}


def discount_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    with db_session() as session:
        discounts = screens.discount_options(session, subscription_id=opened.target.id)
    discount_id = choice("Discount to remove", discounts, "corr_discount", index=None)
    errors.slot("discount_id")
    return {"discount_id": discount_id}


def coupon_fields(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    currency = opened.target.currency
    with db_session() as session:
        coupons = screens.coupon_options(session, currency=currency)
    coupon_id = choice("Coupon", coupons, "corr_coupon")
    errors.slot("coupon_id")
    fields: dict[str, Any] = {"coupon_id": coupon_id}
    if coupon_id != screens.NEW_COUPON:
        return fields
    fields["percent_off"] = st.text_input("Percent off", placeholder="e.g. 15", key="corr_percent")
    errors.slot("percent_off")
    fields["amount_off"] = money_input("Or amount off", currency, "corr_amount_off")
    errors.slot("amount_off")
    fields["duration"] = st.radio("Duration", DURATIONS, horizontal=True, key="corr_duration")
    errors.slot("duration")
    if fields["duration"] == "repeating":
        fields["duration_in_months"] = st.number_input(
            "Months", min_value=0, step=1, value=3, key="corr_months"
        )
        errors.slot("duration_in_months")
    return fields


def item_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    item_id = choice("Item", screens.item_options(opened.target), "corr_item")
    errors.slot("item_id")
    return {"item_id": item_id or "", "proration_date": opened.proration_date or None}


def quantity_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    current = screens.item_quantity(opened.target, st.session_state.get("corr_item"))
    quantity = int(st.number_input("New quantity", min_value=0, step=1, value=current, key="corr_quantity"))
    errors.slot("quantity")
    return {"quantity": quantity}


def price_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    with db_session() as session:
        prices = screens.price_options(session, opened.target, item_id=st.session_state.get("corr_item"))
    price_id = choice("New price", prices, "corr_price", index=None)
    errors.slot("price_id")
    return {"price_id": price_id}


FIELD_WIDGETS = {
    "amount": amount_field,
    "credit_outcome": outcome_field,
    "coupon": coupon_fields,
    "discount": discount_field,
    "item": item_field,
    "quantity": quantity_field,
    "price": price_field,
}


def kind_fields(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    """The widgets the kind asks for (`Kind.fields`); returns the CorrectionForm fields they fill."""
    fields: dict[str, Any] = {"currency": opened.target.currency}
    for name in KINDS[opened.kind].fields:
        fields.update(FIELD_WIDGETS[name](opened, errors))
    return fields


def reason_fields(errors: FieldErrors) -> dict[str, str]:
    category = choice(
        "Reason category",
        REASON_CATEGORIES,
        "corr_reason_category",
        index=None,
        placeholder="Choose a category",
    )
    errors.slot("reason_category")
    text = st.text_area(
        "Reason", placeholder="What went wrong and what the customer was told", key="corr_reason_text"
    )
    errors.slot("reason_text")
    return {"reason_category": category or "", "reason_text": text}


def show_preview(gateway: StripeGateway, form: CorrectionForm, errors: FieldErrors) -> None:
    with errors.reported():
        with db_session() as session, st.spinner("Asking Stripe what will happen…"):
            preview = screens.preview(check(session, gateway, form), form)
        if not preview.lines.empty:
            st.write("**Proration preview** (Stripe's upcoming invoice lines):")
            show_table(preview.lines, screens.PRORATION_COLUMNS, key="corr_proration", file_name=None)
        for sentence in preview.sentences:
            st.write(sentence)


def send(gateway: StripeGateway, form: CorrectionForm, errors: FieldErrors) -> None:
    with errors.reported():
        with st.status("Checking with Stripe, storing, sending…"):
            correction = screens.submit(get_engine(), gateway, actor, form)
        st.session_state[DONE_KEY] = correction
        for key in (OPENED_KEY, "corr_target", *FIELD_KEYS):
            st.session_state.pop(key, None)
        st.query_params.pop("target", None)
        announce(correction)
        st.rerun()


actor = require_page("corrections")
st.title("Billing corrections")
st.caption(
    "Pick the account, then what to correct. Figures come fresh from Stripe; corrections above the "
    "approval threshold wait for a second person. Every step is in the audit log."
)
outcome_banner(actor)

search = st.text_input("Find the account", placeholder="Company name or subdomain", key="corr_search")
inputs = CorrectionsInputs.from_query(st.query_params.to_dict(), search=search)
with db_session() as session:
    screen = screens.corrections_screen(session, inputs, now=clock.now(), actor=actor)
show_what_the_url_says(screen)

account_id = choice(
    "Account",
    screen.accounts,
    "corr_account",
    index=None,
    placeholder="Choose an account",
    on_change=remember_in_url,
    args=("corr_account",),
)
if account_id is None:
    st.stop()
kind = choice("Action", screen.kinds, "corr_kind", on_change=remember_in_url, args=("corr_kind",))
if screen.nothing_to_correct:
    st.info("This account has nothing this action applies to.")
    st.stop()
target_id = choice(
    screen.target_label,
    screen.targets,
    "corr_target",
    index=None,
    placeholder=f"Choose the {screen.target_label.lower()}",
    on_change=remember_in_url,
    args=("corr_target",),
)
errors = FieldErrors()
errors.slot("target")
if target_id is None:
    st.stop()
gateway = stripe_gateway()
opened = open_fresh(kind, target_id, gateway, screen.proration_date) if gateway else None
if gateway is None or opened is None:
    st.stop()
st.caption(screens.current_state(opened.target))
errors.slot("form")
form = CorrectionForm(
    kind=kind,
    account_id=account_id,
    target_id=target_id,
    fingerprint=opened.target.fingerprint,
    form_token=opened.token,
    **kind_fields(opened, errors),
    **reason_fields(errors),
)
errors.slot(None)
blocked = screen.blocked or screens.target_refusal(kind, opened.target)
preview_column, submit_column = st.columns(2)
with preview_column:
    previewed = action_button(
        "Preview", blocked=screen.blocked, icon=":material/visibility:", key="corr_preview"
    )
with submit_column:
    submitted = action_button(
        screens.submit_label(form), blocked=blocked, type="primary", icon=":material/send:", key="corr_submit"
    )
if previewed:
    show_preview(gateway, form, errors)
if submitted:
    send(gateway, form, errors)
