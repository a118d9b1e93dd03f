"""Stripe subscription statuses and the one rule of who pays.

A subscription pays (counts in MRR, paying accounts and billing checks) while it is `active` or
`past_due`: Stripe keeps billing a past-due subscription while it retries the card, and Zendesk's
Marketplace set-up leaves failed payments past due rather than cancelled. Every other status
contributes nothing (docs/revenue-metrics.md).
"""

from __future__ import annotations

from enum import StrEnum


class SubscriptionStatus(StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    PAUSED = "paused"


PAYING_STATUSES: frozenset[str] = frozenset(
    {SubscriptionStatus.ACTIVE.value, SubscriptionStatus.PAST_DUE.value}
)


def is_paying(status: str | None) -> bool:
    """Whether a subscription in `status` pays (counts in MRR and paying accounts)."""
    return status in PAYING_STATUSES
