"""What a person filled in (`CorrectionForm`) and what the checks made of it (`Checked`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dashboard.billing.corrections.targets import Target


@dataclass(frozen=True)
class CorrectionForm:
    """What the person filled in. Amounts are typed in major units ("12.50"), parsed by `money`."""

    kind: str
    account_id: int
    target_id: str  # the charge, invoice or subscription
    fingerprint: str  # of the target when the form was opened
    form_token: str  # made when the form was opened; the correction's idempotency key comes from it
    reason_category: str = ""
    reason_text: str = ""
    amount: str = ""
    currency: str = ""
    credit_outcome: str = ""
    coupon_id: str = ""  # an existing coupon, or empty to create one from the fields below
    percent_off: str = ""
    amount_off: str = ""
    duration: str = "once"
    duration_in_months: int | None = None
    discount_id: str = ""
    item_id: str = ""
    quantity: int | None = None
    price_id: str = ""
    proration_date: int | None = None

    @property
    def idempotency_key(self) -> str:
        return f"corr_{self.form_token}"


@dataclass
class Checked:
    """A valid correction, ready to be stored."""

    target: Target
    amount: int | None = None  # minor units of `currency`
    currency: str | None = None
    percent_off: Decimal | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the Stripe request(s), replayed on retry
    preview: dict[str, Any] | None = None  # what Stripe says will happen
