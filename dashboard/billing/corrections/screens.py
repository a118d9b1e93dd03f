"""The correction pages' screens: what each shows, computed once (no Streamlit here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.access.identity import Actor
from dashboard.accounts.account360 import AccountChoice, account_choice, find_accounts
from dashboard.accounts.links import account_link
from dashboard.billing.corrections import targets, workflow
from dashboard.billing.corrections.form import Checked, CorrectionForm
from dashboard.billing.corrections.history import HistoryFilters, approval_queue, list_corrections
from dashboard.billing.corrections.kinds import KIND_LABELS, KINDS
from dashboard.billing.corrections.kinds.refund import refundable
from dashboard.billing.corrections.rules import (
    CORRECTION_ROLES,
    OUTSTANDING,
    REASON_CATEGORIES,
    STATUS_LABELS,
)
from dashboard.billing.corrections.targets import Target
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.core.db import session_scope
from dashboard.core.errors import ConflictError, ValidationError
from dashboard.core.ids import parse_id
from dashboard.core.money import parse_amount
from dashboard.presentation.columns import Column, Columns, Kind
from dashboard.presentation.text import money, words
from models import BillingCorrection
from models.billing import CorrectionStatus

QUEUE_COLUMNS: Columns = {
    "id": Column("#", Kind.COUNT),
    "kind_label": Column("Kind"),
    "company": Column("Company"),
    "amount": Column("Amount", Kind.MONEY, currency_column="currency"),
    "requested_by": Column("Requested by"),
    "requested_at": Column("Requested", Kind.DATETIME),
    "waited": Column("Waiting for", Kind.DURATION, help="Since it was requested"),
}


@dataclass(frozen=True)
class ApprovalsScreen:
    queue: list[dict[str, Any]]  # oldest first, each with `waited` (a timedelta)
    rows: pd.DataFrame  # the queue as a table (QUEUE_COLUMNS)
    stripe_missing: str | None = None  # why nothing can be approved (no Stripe key), when some wait

    @property
    def longest_wait(self) -> timedelta | None:
        return self.queue[0]["waited"] if self.queue else None


def approvals_screen(session: Session, *, now: datetime) -> ApprovalsScreen:
    """Corrections waiting for a decision, oldest first, with how long each has waited at `now`."""
    queue = [{**row, "waited": now - row["requested_at"]} for row in approval_queue(session)]
    queue.sort(key=lambda row: (row["requested_at"], row["id"]))
    rows = pd.DataFrame(
        [{**row, "kind_label": KIND_LABELS[row["kind"]]} for row in queue],
        columns=[*QUEUE_COLUMNS, "currency"],
    )
    return ApprovalsScreen(queue=queue, rows=rows, stripe_missing=stripe_missing() if queue else None)


class Decision(StrEnum):
    APPROVE = "approve"  # and send it to Stripe at once
    REJECT = "reject"


def decide(
    engine: Engine, actor: Actor, correction_id: int, *, decision: Decision, reason: str, version: int
) -> BillingCorrection:
    """The second person's decision on a queued correction at the version they saw: approved, it is sent
    to Stripe at once (StripeGatewayError without a key); ConflictError when it was decided already."""
    if decision is Decision.REJECT:
        with session_scope(engine) as session:
            return workflow.reject(session, actor, correction_id, reason=reason, version=version)
    return workflow.approve_and_execute(
        engine, StripeGateway.from_settings(), actor, correction_id, reason=reason, version=version
    )


def history_columns(reporting_currency: str) -> Columns:
    """The history table: labels for kinds, statuses and reasons; the CSV keeps their machine names."""
    return {
        "id": Column("#", Kind.COUNT),
        "requested_at": Column("Requested", Kind.DATETIME),
        "kind": Column("Kind", Kind.ENUM, labels=KIND_LABELS),
        "status": Column("Status", Kind.ENUM, labels=STATUS_LABELS),
        "company": Column("Company"),
        "account_link": Column("Account", Kind.LINK, link_text="Open", help="Open the account page"),
        "amount": Column("Amount", Kind.MONEY, currency_column="currency"),
        "currency": Column("Currency", Kind.TEXT),
        "amount_reporting": Column("In reporting currency", Kind.MONEY, currency=reporting_currency),
        "reason_category": Column("Reason", Kind.ENUM, labels=REASON_CATEGORIES),
        "reason_text": Column("Details"),
        "requested_by": Column("Requested by"),
        "decided_by": Column("Decided by"),
        "decision_reason": Column("Decision reason"),
        "executed_at": Column("Executed", Kind.DATETIME),
        "attempts": Column("Attempts", Kind.COUNT),
        "stripe_result_id": Column("Stripe id"),
        "error_message": Column("Error"),
    }


@dataclass(frozen=True)
class CorrectionHistoryScreen:
    rows: pd.DataFrame  # newest first, `columns`
    columns: Columns
    unsettled: list[dict[str, Any]]  # sending or unknown: still being looked for in Stripe
    failed: list[int]  # ids that may be retried, newest first
    stripe_missing: str | None = None  # why nothing can be sent again (no Stripe key), when some failed


def stripe_missing() -> str | None:
    """Why the console cannot call Stripe (no API key configured), or None when it can."""
    try:
        StripeGateway.from_settings()
    except StripeGatewayError as error:
        return error.message
    return None


def correction_history_screen(
    session: Session, filters: HistoryFilters, *, reporting_currency: str
) -> CorrectionHistoryScreen:
    """Every correction the filters match (newest first), those still unsettled, those to retry."""
    found = list_corrections(session, filters=filters)
    columns = history_columns(reporting_currency)
    rows = pd.DataFrame(found, columns=[*(name for name in columns if name != "account_link"), "account_id"])
    rows["account_link"] = rows["account_id"].map(account_link)
    failed = [row["id"] for row in found if row["status"] == CorrectionStatus.FAILED]
    return CorrectionHistoryScreen(
        rows=rows,
        columns=columns,
        unsettled=[row for row in found if row["status"] in OUTSTANDING],
        failed=failed,
        stripe_missing=stripe_missing() if failed else None,
    )


def send_again(engine: Engine, actor: Actor, correction_id: int) -> BillingCorrection:
    """Send a failed correction to Stripe again (Stripe refused it, so nothing happened the first time);
    raises ConflictError when it is not failed any more."""
    return workflow.send(engine, StripeGateway.from_settings(), actor, correction_id=correction_id)


def check_with_stripe(engine: Engine, actor: Actor, correction_id: int) -> BillingCorrection:
    """Ask Stripe now what became of an unknown correction (the scheduled job does it too); raises
    StripeGatewayError without a key, ConflictError when it is settled or being looked for already."""
    return workflow.check_now(engine, StripeGateway.from_settings(), actor, correction_id=correction_id)


TARGET_LABELS = {"charges": "Payment", "invoices": "Invoice", "subscriptions": "Subscription"}
NEW_COUPON = ""  # the coupon choice that creates one from the percent/amount fields
PRORATION_COLUMNS: Columns = {
    "description": Column("Line"),
    "amount": Column("Amount", Kind.MONEY, currency_column="currency"),
}


@dataclass(frozen=True)
class CorrectionsInputs:
    """What the page was asked for: `?account=&kind=&target=` and the text typed into the account search."""

    account_id: int | None = None
    kind: str | None = None
    target_id: str | None = None
    search: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, str], *, search: str = "") -> CorrectionsInputs:
        kind = params.get("kind", "")
        return cls(
            account_id=parse_id(params.get("account")),
            kind=kind if kind in KINDS else None,
            target_id=params.get("target") or None,
            search=search,
        )


@dataclass(frozen=True)
class CorrectionsScreen:
    accounts: dict[int, str]  # the account picker: search matches, with the chosen account always in it
    account_id: int | None  # the chosen account, when it exists
    kinds: dict[str, str]  # every correction kind, by label
    kind: str  # the chosen kind (the first when none was asked for)
    target_label: str  # "Payment", "Invoice" or "Subscription"
    targets: dict[str, str]  # what the kind applies to on this account
    target_id: str | None  # the chosen object, when it is one of `targets`
    proration_date: int  # epoch seconds of `now`: a plan change is priced as of when the form opened
    blocked: str | None = None  # why this person cannot send a correction at all

    @property
    def nothing_to_correct(self) -> bool:
        return self.account_id is not None and not self.targets

    def query_params(self) -> dict[str, str]:
        """What the URL keeps, so that the link can be shared or sent from Account 360."""
        params = {"kind": self.kind}
        if self.account_id is not None:
            params["account"] = str(self.account_id)
        if self.target_id is not None:
            params["target"] = self.target_id
        return params


def _account_label(choice: AccountChoice) -> str:
    return f"{choice.company_name} ({choice.zendesk_subdomain})"


def account_options(
    session: Session, *, search: str, chosen: int | None
) -> tuple[dict[int, str], int | None]:
    """The picker's accounts (search matches) with the chosen one first when the search misses it."""
    matches = find_accounts(session, search=search)
    found = next((c for c in matches if c.id == chosen), None)
    if chosen is not None and found is None:
        found = account_choice(session, chosen)
        matches = [found, *matches] if found else matches
    return {c.id: _account_label(c) for c in matches}, found.id if found else None


def target_options(session: Session, *, kind: str, account_id: int) -> dict[str, str]:
    """The payments, invoices or subscriptions of the account that `kind` acts on, labelled."""
    resource = KINDS[kind].target
    if resource == "charges":
        return {
            p.id: f"{p.created:%Y-%m-%d} · {money(p.amount, p.currency)} · "
            f"{' '.join(filter(None, (p.card_brand or 'card', p.card_last4)))} · {p.id} · refunded "
            f"{money(p.amount_refunded, p.currency)}"
            for p in targets.payment_choices(session, account_id=account_id)
        }
    if resource == "invoices":
        invoices = targets.invoice_choices(
            session, account_id=account_id, statuses=KINDS[kind].invoice_statuses
        )
        return {
            i.id: f"{i.number or i.id} · {words(i.status)} · {money(i.total, i.currency)}"
            + (f" · due {money(i.amount_remaining, i.currency)}" if i.amount_remaining else "")
            for i in invoices
        }
    return {
        s.id: f"{s.id} · {words(s.status)} · {s.currency.upper()}"
        for s in targets.subscription_choices(session, account_id=account_id)
    }


def corrections_screen(
    session: Session, inputs: CorrectionsInputs, *, now: datetime, actor: Actor
) -> CorrectionsScreen:
    """The corrections form's choices for the account, kind and object asked for."""
    accounts, account_id = account_options(session, search=inputs.search, chosen=inputs.account_id)
    kind = inputs.kind or next(iter(KINDS))
    options = target_options(session, kind=kind, account_id=account_id) if account_id is not None else {}
    return CorrectionsScreen(
        accounts=accounts,
        account_id=account_id,
        kinds=dict(KIND_LABELS),
        kind=kind,
        target_label=TARGET_LABELS[KINDS[kind].target],
        targets=options,
        target_id=inputs.target_id if inputs.target_id in options else None,
        proration_date=int(now.timestamp()),
        blocked=None
        if actor.role in CORRECTION_ROLES
        else f"Your role ({words(actor.role)}) cannot correct billing.",
    )


def _items(target: Target) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in (target.object.get("items") or {}).get("data", [])}


def _item_label(item: dict[str, Any]) -> str:
    return f"{item['quantity']} × {item['price'].get('nickname') or item['price']['id']}"


def current_state(target: Target) -> str:
    """The object as Stripe has it now, in one line (for a payment: how much is left to refund)."""
    obj, currency = target.object, target.currency
    if target.resource == "charges":
        return (
            f"In Stripe now: paid {money(obj.get('amount_captured') or 0, currency)}, refunded "
            f"{money(obj.get('amount_refunded') or 0, currency)}, "
            f"**{money(refundable(obj), currency)} refundable**."
        )
    if target.resource == "invoices":
        credited = (obj.get("pre_payment_credit_notes_amount") or 0) + (
            obj.get("post_payment_credit_notes_amount") or 0
        )
        return (
            f"In Stripe now: {words(obj.get('status')).lower()}, total {money(obj.get('total'), currency)}, "
            f"due {money(obj.get('amount_remaining') or 0, currency)}, credited {money(credited, currency)}."
        )
    items = ", ".join(
        f"{_item_label(i)} ({money(i['price'].get('unit_amount'), currency)})"
        for i in _items(target).values()
    )
    discounts = len(obj.get("discounts") or [])
    return f"In Stripe now: {words(obj.get('status')).lower()}, {items}, {discounts} discount(s)."


def target_refusal(kind: str, target: Target) -> str | None:
    """Why nothing can be sent for this object as Stripe has it now (checked again on submit)."""
    if KINDS[kind].target == "charges" and refundable(target.object) <= 0:
        return "Stripe says nothing is left to refund on this payment."
    return None


def asks_credit_outcome(target: Target) -> bool:
    """Only a paid invoice's credit note asks where the money goes."""
    return target.object.get("status") == "paid"


def coupon_options(session: Session, *, currency: str) -> dict[str, str]:
    """Existing coupons described, after the choice to create a new one."""

    def describe(coupon: Any) -> str:
        off = (
            f"{coupon.percent_off.normalize()}% off"
            if coupon.percent_off is not None
            else f"{money(coupon.amount_off, coupon.currency or currency)} off"
        )
        return f"{coupon.name or coupon.id}: {off}, {words(coupon.duration).lower()}"

    return {NEW_COUPON: "Create a new coupon", **{c.id: describe(c) for c in targets.coupon_choices(session)}}


def discount_options(session: Session, *, subscription_id: str) -> dict[str, str]:
    discounts = targets.subscription_discounts(session, subscription_id=subscription_id)
    return {d.id: f"{d.id} ({d.coupon_id})" for d in discounts}


def item_options(target: Target) -> dict[str, str]:
    return {item_id: _item_label(item) for item_id, item in _items(target).items()}


def item_quantity(target: Target, item_id: str | None) -> int:
    """The item's quantity now (the starting value of "New quantity"); 1 before an item is chosen."""
    item = _items(target).get(item_id or "")
    return item["quantity"] if item else 1


def price_options(session: Session, target: Target, *, item_id: str | None) -> dict[str, str]:
    """Prices in the subscription's currency, on the chosen item's billing interval."""
    item = _items(target).get(item_id or "")
    interval = (item["price"].get("recurring") or {}).get("interval") if item else None
    prices = targets.price_choices(session, currency=target.currency, interval=interval)
    return {p.id: f"{p.nickname or p.id} · {money(p.unit_amount, p.currency)}" for p in prices}


@dataclass(frozen=True)
class Preview:
    """What will happen, as Stripe computes it (credit notes, prorations) or from the fresh read."""

    lines: pd.DataFrame = field(default_factory=pd.DataFrame)  # proration lines (PRORATION_COLUMNS)
    sentences: list[str] = field(default_factory=list)


def preview(checked: Checked, form: CorrectionForm) -> Preview:
    currency = checked.currency or form.currency
    shown = checked.preview or {}
    lines = pd.DataFrame(
        [{**line, "currency": currency} for line in shown.get("lines", [])],
        columns=[*PRORATION_COLUMNS, "currency"],
    )
    sentences = []
    if "lines" in shown:
        sentences.append(
            f"Net now: **{money(shown['total'], currency)}** "
            "(positive: charged on the next invoice; negative: credited)."
        )
    elif shown:
        sentences.append(
            f"**Credit note preview**: {money(shown['total'], currency)}, {words(shown['type']).lower()}."
        )
    if checked.amount is not None:
        sentences.append(f"Amount: **{money(checked.amount, currency)}**.")
    return Preview(lines=lines, sentences=sentences)


def submit_label(form: CorrectionForm) -> str:
    """The submit button says what it does, with the amount as it will be sent: "Refund €1.50"."""
    verb = KINDS[form.kind].verb
    if "amount" not in KINDS[form.kind].fields:
        return verb
    try:
        return f"{verb} {money(parse_amount(form.amount, form.currency), form.currency)}"
    except ValidationError:
        return verb


def submit(engine: Engine, gateway: StripeGateway, actor: Actor, form: CorrectionForm) -> BillingCorrection:
    """Check, store and send; a conflict or Stripe's refusal is a message on the form as a whole."""
    try:
        return workflow.submit(engine, gateway, actor, form)
    except (ConflictError, StripeGatewayError) as error:
        raise ValidationError(getattr(error, "message", str(error)), field="form") from None
