"""The billing corrections form: account → object → action → what will happen → reason → submit.

The chosen object is read fresh from Stripe when it is picked; its fingerprint and a new form token
(the future idempotency key) stay in the session until the correction is submitted, so a double click
or a resubmitted form is the same correction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.access.identity import Actor
from dashboard.billing.corrections import targets, workflow
from dashboard.billing.corrections.form import CorrectionForm
from dashboard.billing.corrections.kinds import KIND_LABELS, KINDS
from dashboard.billing.corrections.kinds.credit_note import CREDIT_OUTCOMES
from dashboard.billing.corrections.kinds.discount import DURATIONS
from dashboard.billing.corrections.rules import REASON_CATEGORIES, STATUS_LABELS
from dashboard.billing.corrections.targets import Target
from dashboard.billing.corrections.validation import check, open_target
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.core import clock
from dashboard.core.errors import ConflictError, ValidationError
from dashboard.core.money import accepted_form, exponent, format_money, parse_amount
from dashboard.ui.forms import FieldErrors
from dashboard.ui.store import db_session, get_engine
from dashboard.ui.stripe_data import account_choices, clear_stripe_caches
from models import BillingCorrection
from models.billing import CorrectionStatus

OPENED_KEY = "correction_opened"
DONE_KEY = "correction_done"
GOTO_KEY = "correction_goto_account"
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


def stripe_gateway() -> StripeGateway | None:
    try:
        return StripeGateway.from_settings()
    except StripeGatewayError as error:
        st.error(error.message, icon=":material/key_off:")
        return None


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
    gateway = stripe_gateway()
    if gateway is None:
        return
    try:
        correction = workflow.check_now(get_engine(), gateway, actor, correction_id=correction_id)
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
    clear_stripe_caches()
    if correction.status == CorrectionStatus.EXECUTED:
        st.toast(f"Correction #{correction.id} executed.", icon=":material/check:")
    elif correction.status == CorrectionStatus.PENDING_APPROVAL:
        st.toast(f"Correction #{correction.id} is waiting for approval.", icon=":material/hourglass:")
    elif correction.status in (CorrectionStatus.UNKNOWN, CorrectionStatus.SENDING):
        st.toast(f"Correction #{correction.id}: checking with Stripe…", icon=":material/help:")
    else:
        st.toast(f"Correction #{correction.id} failed.", icon=":material/error:")


def _pick_account() -> int | None:
    preset = st.query_params.get("account", "")
    search = st.text_input("Find the account", placeholder="Company name or subdomain", key="corr_search")
    choices = account_choices(search)
    ids = [c.id for c in choices]
    names = {c.id: f"{c.company_name} ({c.zendesk_subdomain})" for c in choices}
    index = ids.index(int(preset)) if preset.isdigit() and int(preset) in ids else None
    chosen = st.selectbox(
        "Account",
        ids,
        index=index,
        format_func=names.get,
        placeholder="Choose an account",
        key="corr_account",
    )
    if chosen is not None:
        st.query_params["account"] = str(chosen)
    return chosen


def _target_options(kind: str, account_id: int) -> dict[str, str]:
    resource = KINDS[kind].target
    with db_session() as session:
        if resource == "charges":
            payments = targets.payment_choices(session, account_id=account_id)
            return {
                p.id: f"{p.created:%Y-%m-%d} · {format_money(p.amount, p.currency)} · "
                f"{p.card_brand or 'card'} {p.card_last4 or ''} · {p.id} · refunded "
                f"{format_money(p.amount_refunded, p.currency)}"
                for p in payments
            }
        if resource == "invoices":
            invoices = targets.invoice_choices(
                session, account_id=account_id, statuses=KINDS[kind].invoice_statuses
            )
            return {
                i.id: f"{i.number or i.id} · {i.status} · {format_money(i.total, i.currency)}"
                f"{f' · due {format_money(i.amount_remaining, i.currency)}' if i.amount_remaining else ''}"
                for i in invoices
            }
        subscriptions = targets.subscription_choices(session, account_id=account_id)
        return {s.id: f"{s.id} · {s.status} · {s.currency.upper()}" for s in subscriptions}


def _open(kind: str, target_id: str, gateway: StripeGateway) -> Opened | None:
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
    opened = Opened(kind, target, uuid.uuid4().hex, clock.epoch_seconds())
    st.session_state[OPENED_KEY] = opened
    return opened


def _money_input(label: str, currency: str, key: str) -> str:
    digits = exponent(currency)
    return st.text_input(
        f"{label} ({currency.upper()})",
        key=key,
        placeholder="0." + "0" * digits if digits else "0",
        help=f"Type it as {accepted_form(currency)}.",
    )


def _current_state(opened: Opened) -> None:
    obj, currency = opened.target.object, opened.target.currency
    if opened.target.resource == "charges":
        left = (obj.get("amount_captured") or 0) - (obj.get("amount_refunded") or 0)
        st.caption(
            f"In Stripe now: paid {format_money(obj.get('amount_captured'), currency)}, refunded "
            f"{format_money(obj.get('amount_refunded') or 0, currency)}, "
            f"**{format_money(left, currency)} refundable**."
        )
    elif opened.target.resource == "invoices":
        credited = (obj.get("pre_payment_credit_notes_amount") or 0) + (
            obj.get("post_payment_credit_notes_amount") or 0
        )
        st.caption(
            f"In Stripe now: {obj.get('status')}, total {format_money(obj.get('total'), currency)}, due "
            f"{format_money(obj.get('amount_remaining') or 0, currency)}, credited "
            f"{format_money(credited, currency)}."
        )
    else:
        items = ", ".join(
            f"{i.get('quantity')} × {i['price'].get('nickname') or i['price']['id']} "
            f"({format_money(i['price'].get('unit_amount'), currency)})"
            for i in (obj.get("items") or {}).get("data", [])
        )
        st.caption(
            f"In Stripe now: {obj.get('status')}, {items}, {len(obj.get('discounts') or [])} discount(s)."
        )


def _kind_fields(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    """The widgets the kind asks for (`Kind.fields`); returns the CorrectionForm fields they fill."""
    fields: dict[str, Any] = {"currency": opened.target.currency}
    for name in KINDS[opened.kind].fields:
        fields.update(_FIELD_WIDGETS[name](opened, errors))
    return fields


def _amount_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    amount = _money_input("Amount", opened.target.currency, "corr_amount")
    errors.slot("amount")
    errors.slot("currency")
    return {"amount": amount}


def _outcome_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    if opened.target.object.get("status") != "paid":
        return {}
    outcome = st.radio(
        "Where the money goes", list(CREDIT_OUTCOMES), format_func=CREDIT_OUTCOMES.get, key="corr_outcome"
    )
    errors.slot("credit_outcome")
    return {"credit_outcome": outcome}


def _discount_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    with db_session() as session:
        discounts = targets.subscription_discounts(session, subscription_id=opened.target.id)
    discount_id = st.selectbox(
        "Discount to remove",
        [d.id for d in discounts],
        index=None,
        format_func=lambda d: f"{d} ({next(x.coupon_id for x in discounts if x.id == d)})",
        key="corr_discount",
    )
    errors.slot("discount_id")
    return {"discount_id": discount_id}


def _coupon_fields(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    currency = opened.target.currency
    with db_session() as session:
        coupons = {c.id: c for c in targets.coupon_choices(session)}

    def describe(coupon_id: str) -> str:
        if not coupon_id:
            return "Create a new coupon"
        c = coupons[coupon_id]
        off = (
            f"{c.percent_off.normalize()}% off"
            if c.percent_off is not None
            else f"{format_money(c.amount_off, c.currency or currency)} off"
        )
        return f"{c.name or c.id}: {off}, {c.duration}"

    coupon_id = st.selectbox("Coupon", ["", *coupons], format_func=describe, key="corr_coupon")
    errors.slot("coupon_id")
    fields: dict[str, Any] = {"coupon_id": coupon_id}
    if coupon_id:
        return fields
    fields["percent_off"] = st.text_input("Percent off", placeholder="e.g. 15", key="corr_percent")
    errors.slot("percent_off")
    fields["amount_off"] = _money_input("Or amount off", currency, "corr_amount_off")
    errors.slot("amount_off")
    fields["duration"] = st.radio("Duration", DURATIONS, horizontal=True, key="corr_duration")
    errors.slot("duration")
    if fields["duration"] == "repeating":
        fields["duration_in_months"] = st.number_input(
            "Months", min_value=0, step=1, value=3, key="corr_months"
        )
        errors.slot("duration_in_months")
    return fields


def _item_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    items = {i["id"]: i for i in (opened.target.object.get("items") or {}).get("data", [])}
    item_id = st.selectbox(
        "Item",
        list(items),
        format_func=lambda i: (
            f"{items[i]['quantity']} × {items[i]['price'].get('nickname') or items[i]['price']['id']}"
        ),
        key="corr_item",
    )
    errors.slot("item_id")
    return {"item_id": item_id or "", "proration_date": opened.proration_date or None}


def _quantity_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    items = {i["id"]: i for i in (opened.target.object.get("items") or {}).get("data", [])}
    item_id = st.session_state.get("corr_item")
    current = items[item_id]["quantity"] if item_id in items else 1
    quantity = int(st.number_input("New quantity", min_value=0, step=1, value=current, key="corr_quantity"))
    errors.slot("quantity")
    return {"quantity": quantity}


def _price_field(opened: Opened, errors: FieldErrors) -> dict[str, Any]:
    items = {i["id"]: i for i in (opened.target.object.get("items") or {}).get("data", [])}
    item_id = st.session_state.get("corr_item")
    interval = (items[item_id]["price"].get("recurring") or {}).get("interval") if item_id in items else None
    with db_session() as session:
        prices = targets.price_choices(session, currency=opened.target.currency, interval=interval)
    price_id = st.selectbox(
        "New price",
        [p.id for p in prices],
        index=None,
        key="corr_price",
        format_func=lambda pid: next(
            f"{p.nickname or p.id} · {format_money(p.unit_amount, p.currency)}" for p in prices if p.id == pid
        ),
    )
    errors.slot("price_id")
    return {"price_id": price_id}


_FIELD_WIDGETS = {
    "amount": _amount_field,
    "credit_outcome": _outcome_field,
    "coupon": _coupon_fields,
    "discount": _discount_field,
    "item": _item_field,
    "quantity": _quantity_field,
    "price": _price_field,
}


def _reason_fields(errors: FieldErrors) -> dict[str, str]:
    category = st.selectbox(
        "Reason category",
        list(REASON_CATEGORIES),
        index=None,
        format_func=REASON_CATEGORIES.get,
        placeholder="Choose a category",
        key="corr_reason_category",
    )
    errors.slot("reason_category")
    text = st.text_area(
        "Reason", placeholder="What went wrong and what the customer was told", key="corr_reason_text"
    )
    errors.slot("reason_text")
    return {"reason_category": category or "", "reason_text": text}


def _show_preview(gateway: StripeGateway, form: CorrectionForm, errors: FieldErrors) -> None:
    """What will happen, as Stripe computes it (credit notes, prorations) or from the fresh read."""
    with errors.reported(), db_session() as session, st.spinner("Asking Stripe what will happen…"):
        checked = check(session, gateway, form)
        currency = checked.currency or form.currency
        if checked.preview and "lines" in checked.preview:
            st.write("**Proration preview** (Stripe's upcoming invoice lines):")
            for line in checked.preview["lines"]:
                st.write(f"- {line['description']}: {format_money(line['amount'], currency)}")
            st.write(
                f"Net now: **{format_money(checked.preview['total'], currency)}** "
                "(positive: charged on the next invoice; negative: credited)."
            )
        elif checked.preview:
            st.write(
                f"**Credit note preview**: {format_money(checked.preview['total'], currency)}, "
                f"{checked.preview['type'].replace('_', ' ')}."
            )
        if checked.amount is not None:
            st.write(f"Amount: **{format_money(checked.amount, currency)}**.")


def correction_form(actor: Actor) -> None:
    outcome_banner(actor)
    account_id = _pick_account()
    if account_id is None:
        return
    kind = st.selectbox("Action", list(KIND_LABELS), format_func=KIND_LABELS.get, key="corr_kind")
    options = _target_options(kind, account_id)
    if not options:
        st.info("This account has nothing this action applies to.")
        return
    target_label = {"charges": "Payment", "invoices": "Invoice"}.get(KINDS[kind].target, "Subscription")
    target_id = st.selectbox(
        target_label,
        list(options),
        index=None,
        format_func=options.get,
        placeholder=f"Choose the {target_label.lower()}",
        key="corr_target",
    )
    errors = FieldErrors()
    errors.slot("target")
    if target_id is None:
        return
    gateway = stripe_gateway()
    opened = _open(kind, target_id, gateway) if gateway else None
    if gateway is None or opened is None:
        return
    _current_state(opened)
    errors.slot("form")
    fields = {**_kind_fields(opened, errors), **_reason_fields(errors)}
    form = CorrectionForm(
        kind=kind,
        account_id=account_id,
        target_id=target_id,
        fingerprint=opened.target.fingerprint,
        form_token=opened.token,
        **fields,
    )
    errors.slot(None)
    preview, submit = st.columns(2)
    if preview.button("Preview", icon=":material/visibility:", key="corr_preview"):
        _show_preview(gateway, form, errors)
    if submit.button(submit_label(form), type="primary", icon=":material/send:", key="corr_submit"):
        _submit(actor, gateway, form, errors)


def submit_label(form: CorrectionForm) -> str:
    """The submit button says what it does, with the amount as it will be sent: "Refund €1.50"."""
    verb = KINDS[form.kind].verb
    if "amount" not in KINDS[form.kind].fields:
        return verb
    try:
        return f"{verb} {format_money(parse_amount(form.amount, form.currency), form.currency)}"
    except ValidationError:
        return verb


def _submit(actor: Actor, gateway: StripeGateway, form: CorrectionForm, errors: FieldErrors) -> None:
    with errors.reported():
        try:
            with st.status("Checking with Stripe, storing, sending…"):
                correction = workflow.submit(get_engine(), gateway, actor, form)
        except (ConflictError, StripeGatewayError) as error:
            raise ValidationError(getattr(error, "message", str(error)), field="form") from None
        st.session_state[DONE_KEY] = correction
        for key in (OPENED_KEY, "corr_target", *FIELD_KEYS):
            st.session_state.pop(key, None)
        announce(correction)
        st.rerun()


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


def approve_queued(
    actor: Actor, gateway: StripeGateway, row: dict[str, Any], *, reason: str, errors: FieldErrors
) -> None:
    """Approve a queued correction and send it to Stripe at once."""
    _after(
        lambda: workflow.approve_and_execute(
            get_engine(), gateway, actor, row["id"], reason=reason, version=row["version"]
        ),
        errors,
        "decision_reason",
    )


def reject_queued(actor: Actor, row: dict[str, Any], *, reason: str, errors: FieldErrors) -> None:
    def reject() -> BillingCorrection:
        with db_session() as session:
            return workflow.reject(session, actor, row["id"], reason=reason, version=row["version"])

    _after(reject, errors, "decision_reason")


def retry(actor: Actor, gateway: StripeGateway, correction_id: int, errors: FieldErrors) -> None:
    """Send a failed correction again (Stripe refused it, so nothing happened the first time)."""

    def run() -> BillingCorrection:
        with st.status("Sending it to Stripe again…"):
            return workflow.send(get_engine(), gateway, actor, correction_id=correction_id)

    _after(run, errors, "retry")
