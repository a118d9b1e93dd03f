"""The kinds of billing correction, one module each; this registry is the only list of them.

A new kind is one new module defining a `Kind` (checks, preview, Stripe call, how to find its result
in Stripe, mirror re-reads) and one line below.
"""

from __future__ import annotations

from dashboard.billing.corrections.kinds import credit_note, discount, plan_change, refund, void
from dashboard.billing.corrections.kinds.base import Kind, Outcome

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        refund.KIND,
        credit_note.KIND,
        discount.APPLY,
        discount.REMOVE,
        plan_change.QUANTITY,
        plan_change.PRICE,
        void.KIND,
    )
}
KIND_LABELS = {name: k.label for name, k in KINDS.items()}

__all__ = ["KINDS", "KIND_LABELS", "Kind", "Outcome"]
