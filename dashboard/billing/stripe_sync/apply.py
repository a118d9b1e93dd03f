"""Applying pages of Stripe objects to the mirror: idempotent upserts, MRR and its change log.

Every function adds to the caller's session; the caller commits one page at a time, so a failure
never leaves half a page behind. Rows are only touched when a field really changed, so a second sync
of the same data writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, SQLModel, col, select

from dashboard.billing.revenue.mrr import subscription_mrr
from dashboard.billing.revenue.statuses import is_paying
from dashboard.billing.stripe_sync import mapping
from models import (
    App,
    MrrChange,
    StripeCoupon,
    StripeCreditNote,
    StripeCustomer,
    StripeDiscount,
    StripeInvoice,
    StripePayment,
    StripePrice,
    StripeProduct,
    StripeRefund,
    StripeSubscription,
    StripeSubscriptionItem,
)

# Order of a full sync: what a later resource needs (prices -> products, invoices -> charges) comes first.
RESOURCE_ORDER = (
    "products",
    "prices",
    "coupons",
    "customers",
    "subscriptions",
    "charges",
    "invoices",
    "refunds",
    "credit_notes",
)
SOFT_DELETED = {
    "customers": StripeCustomer,
    "products": StripeProduct,
    "prices": StripePrice,
    "coupons": StripeCoupon,
}


@dataclass
class SyncCounts:
    """Per resource: objects seen, rows created, rows updated, rows marked deleted."""

    seen: Counter[str] = field(default_factory=Counter)
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, dict[str, int]]:
        names = sorted(set(self.seen) | set(self.created) | set(self.updated) | set(self.deleted))
        return {
            name: {
                "seen": self.seen[name],
                "created": self.created[name],
                "updated": self.updated[name],
                "deleted": self.deleted[name],
            }
            for name in names
        }

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.deleted.values())


def upsert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert new rows, update changed ones, leave equal ones alone. Returns (created, updated)."""
    if not rows:
        return 0, 0
    pk = model.id  # type: ignore[attr-defined]
    existing = {
        row.id: row for row in session.exec(select(model).where(col(pk).in_([r["id"] for r in rows])))
    }
    created = updated = 0
    for values in rows:
        current = existing.get(values["id"])
        if current is None:
            session.add(model(**values))
            created += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(current, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(current, key, value)
            session.add(current)
            updated += 1
    return created, updated


class PageApplier:
    """Applies pages of one resource type; knows the product -> app and price -> app maps it needs."""

    def __init__(self, session: Session, counts: SyncCounts, *, now: datetime) -> None:
        self.session = session
        self.counts = counts
        self.now = now
        self._appliers: dict[str, Callable[[list[dict], date], None]] = {
            "customers": self._customers,
            "products": self._products,
            "prices": self._prices,
            "coupons": self._coupons,
            "subscriptions": self._subscriptions,
            "invoices": self._invoices,
            "charges": self._charges,
            "refunds": self._refunds,
            "credit_notes": self._credit_notes,
        }

    def apply(self, resource: str, objects: list[dict], *, effective_on: date | None = None) -> None:
        self.counts.seen[resource] += len(objects)
        self._appliers[resource](objects, effective_on or self.now.date())
        self.session.flush()

    def _count(self, resource: str, result: tuple[int, int]) -> None:
        self.counts.created[resource] += result[0]
        self.counts.updated[resource] += result[1]

    def _customers(self, objects: list[dict], _day: date) -> None:
        self._count(
            "customers", upsert_rows(self.session, StripeCustomer, [mapping.customer_row(o) for o in objects])
        )

    def _products(self, objects: list[dict], _day: date) -> None:
        app_ids = {a.stripe_product_id: a.id for a in self.session.exec(select(App)) if a.stripe_product_id}
        self._count(
            "products",
            upsert_rows(self.session, StripeProduct, [mapping.product_row(o, app_ids) for o in objects]),
        )

    def _prices(self, objects: list[dict], _day: date) -> None:
        self._count("prices", upsert_rows(self.session, StripePrice, [mapping.price_row(o) for o in objects]))

    def _coupons(self, objects: list[dict], _day: date) -> None:
        self._count(
            "coupons", upsert_rows(self.session, StripeCoupon, [mapping.coupon_row(o) for o in objects])
        )

    def _price_apps(self, objects: list[dict]) -> dict[str, int | None]:
        price_ids = {mapping._id(item["price"]) for o in objects for item in mapping.subscription_items(o)}
        rows = self.session.exec(
            select(StripePrice.id, StripeProduct.app_id)
            .join(StripeProduct, col(StripeProduct.id) == col(StripePrice.product_id))
            .where(col(StripePrice.id).in_(price_ids))
        )
        return dict(rows.all())

    def _subscriptions(self, objects: list[dict], day: date) -> None:
        price_apps = self._price_apps(objects)
        ids = [o["id"] for o in objects]
        before = {
            s.id: s
            for s in self.session.exec(select(StripeSubscription).where(col(StripeSubscription.id).in_(ids)))
        }
        previous_mrr = {sid: (s.mrr, s.status) for sid, s in before.items()}
        previous_price = self._first_prices(ids)
        rows = []
        for obj in objects:
            row = mapping.subscription_row(obj, price_apps=price_apps)
            row["mrr"] = self._mrr(obj, status=obj["status"])
            known = before.get(obj["id"])
            row["account_id"] = known.account_id if known else None
            rows.append(row)
        self._count("subscriptions", upsert_rows(self.session, StripeSubscription, rows))
        self._replace_children(objects)
        for obj, row in zip(objects, rows, strict=True):
            if obj["id"] in previous_mrr:
                # a plan change at the same MRR is logged too: revenue by plan follows the plan of the day
                price = mapping.first_price_id(obj)
                if previous_mrr[obj["id"]][0] != row["mrr"] or previous_price.get(obj["id"]) != price:
                    self._log_mrr(row, day, row["mrr"], price)
            else:
                self._log_first_sight(obj, row)

    def _mrr(self, obj: dict, *, status: str) -> int:
        coupons = [t for t in (mapping.coupon_terms(d) for d in mapping.subscription_discounts(obj)) if t]
        items = [mapping.item_terms(i) for i in mapping.subscription_items(obj)]
        return subscription_mrr(status=status, items=items, coupons=coupons, at=self.now)

    def _replace_children(self, objects: list[dict]) -> None:
        """Items and discounts belong to their subscription: the listing is the truth for each page."""
        ids = [o["id"] for o in objects]
        items = [mapping.item_row(i, o["id"]) for o in objects for i in mapping.subscription_items(o)]
        discounts = [
            mapping.discount_row(d, o["id"]) for o in objects for d in mapping.subscription_discounts(o)
        ]
        for model, rows in ((StripeSubscriptionItem, items), (StripeDiscount, discounts)):
            keep = [r["id"] for r in rows]
            self.session.execute(
                delete(model).where(
                    col(model.subscription_id).in_(ids),  # type: ignore[attr-defined]
                    col(model.id).not_in(keep),
                )
            )  # type: ignore[attr-defined]
            upsert_rows(self.session, model, rows)

    def _log_first_sight(self, obj: dict, row: dict) -> None:
        """Reconstruct the history a subscription seen for the first time implies (start, end)."""
        paying_from = row["trial_end"] or row["start_date"] or row["created"]
        if is_paying(row["status"]):
            if row["mrr"]:
                self._log_mrr(row, paying_from.date(), row["mrr"], mapping.first_price_id(obj))
            return
        ended = row["ended_at"] or row["canceled_at"]
        if row["status"] == "canceled" and ended and paying_from and ended > paying_from:
            had = self._mrr(obj, status="active")
            if had:
                price = mapping.first_price_id(obj)
                self._log_mrr(row, paying_from.date(), had, price)
                self._log_mrr(row, ended.date(), 0, price)

    def _first_prices(self, subscription_ids: list[str]) -> dict[str, str]:
        """Each subscription's first item's price as mirrored before this page was applied."""
        first: dict[str, str] = {}
        rows = self.session.exec(
            select(StripeSubscriptionItem.subscription_id, StripeSubscriptionItem.price_id)
            .where(col(StripeSubscriptionItem.subscription_id).in_(subscription_ids))
            .order_by(StripeSubscriptionItem.subscription_id, StripeSubscriptionItem.id)
        )
        for sub_id, price_id in rows:
            first.setdefault(sub_id, price_id)
        return first

    def _log_mrr(self, row: dict, day: date, mrr: int, price_id: str | None) -> None:
        self.session.add(
            MrrChange(
                subscription_id=row["id"],
                account_id=row["account_id"],
                customer_id=row["customer_id"],
                effective_on=day,
                mrr=mrr,
                currency=row["currency"],
                status=row["status"],
                price_id=price_id,
            )
        )

    def _charges(self, objects: list[dict], _day: date) -> None:
        self._count(
            "charges", upsert_rows(self.session, StripePayment, [mapping.charge_row(o) for o in objects])
        )

    def _invoices(self, objects: list[dict], _day: date) -> None:
        self._count(
            "invoices", upsert_rows(self.session, StripeInvoice, [mapping.invoice_row(o) for o in objects])
        )
        by_intent = {intent: o["id"] for o in objects for intent in mapping.invoice_payment_intents(o)}
        if by_intent:
            payments = self.session.exec(
                select(StripePayment).where(col(StripePayment.payment_intent_id).in_(list(by_intent)))
            )
            for payment in payments:
                if payment.invoice_id != by_intent[payment.payment_intent_id]:
                    payment.invoice_id = by_intent[payment.payment_intent_id]
                    self.session.add(payment)

    def _refunds(self, objects: list[dict], _day: date) -> None:
        self._count(
            "refunds", upsert_rows(self.session, StripeRefund, [mapping.refund_row(o) for o in objects])
        )

    def _credit_notes(self, objects: list[dict], _day: date) -> None:
        self._count(
            "credit_notes",
            upsert_rows(self.session, StripeCreditNote, [mapping.credit_note_row(o) for o in objects]),
        )


def mark_deleted(session: Session, resource: str, ids: list[str], counts: SyncCounts) -> None:
    """Soft-delete mirror rows whose Stripe object is gone (customers, products, prices, coupons)."""
    if resource == "invoices":  # only drafts can be deleted in Stripe; the mirror forgets them
        result = session.execute(delete(StripeInvoice).where(col(StripeInvoice.id).in_(ids)))
        counts.deleted[resource] += result.rowcount or 0
        return
    model = SOFT_DELETED.get(resource)
    if model is None:
        return
    for row in session.exec(select(model).where(col(model.id).in_(ids), col(model.deleted).is_(False))):
        row.deleted = True
        session.add(row)
        counts.deleted[resource] += 1


def unseen_ids(session: Session, resource: str, seen: set[str]) -> list[str]:
    """Mirror rows of `resource` not deleted yet and absent from a complete listing."""
    model = SOFT_DELETED.get(resource)
    if model is None:
        return []
    live = session.exec(select(model.id).where(col(model.deleted).is_(False)))  # type: ignore[attr-defined]
    return [object_id for object_id in live if object_id not in seen]
