"""One attempt at a claimed correction in Stripe, and what its answer means. No store access here.

Each write carries the key the claim committed (a suffix per step when a correction takes two
writes). An attempt that may follow an earlier, unanswered one looks for the result in Stripe first
(the kind's `find`, by the `console_correction_id` metadata) and sends only when it is not there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from dashboard.billing.corrections.kinds import KINDS, Outcome
from dashboard.billing.corrections.kinds.base import Mirror
from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError
from dashboard.billing.stripe_sync.apply import PageApplier, SyncCounts
from models import BillingCorrection
from models.billing import CorrectionStatus
from models.types import utcnow


@dataclass(frozen=True)
class Answer:
    """What an attempt established: executed (with the result), failed (Stripe said no) or unknown."""

    status: CorrectionStatus
    outcome: Outcome | None = None
    error: StripeGatewayError | None = None
    found: bool = False  # the result was already in Stripe; nothing was sent this time


def said_no(error: StripeGatewayError) -> bool:
    """Stripe answered and refused the write, so it did nothing (400, 402, 404, 429...).

    No answer, a 5xx (Stripe may have acted), a 409 (a request with this key is in flight) or an
    idempotency refusal (the key was used before) leave the outcome unknown.
    """
    status = error.status
    return status is not None and 400 <= status < 500 and status != 409 and error.kind != "idempotency"


def attempt(gateway: StripeGateway, correction: BillingCorrection, *, key: str, look_first: bool) -> Answer:
    kind = KINDS[correction.kind]
    if look_first:
        try:
            found = kind.find(gateway, correction)
        except StripeGatewayError as error:
            return Answer(CorrectionStatus.UNKNOWN, error=error)
        if found is not None:
            return Answer(CorrectionStatus.EXECUTED, outcome=found, found=True)
    try:
        return Answer(CorrectionStatus.EXECUTED, outcome=kind.send(gateway, correction, key))
    except StripeGatewayError as error:
        status = CorrectionStatus.FAILED if said_no(error) else CorrectionStatus.UNKNOWN
        return Answer(status, error=error)


def related(gateway: StripeGateway, correction: BillingCorrection) -> Mirror:
    """The objects to re-read for the mirror after the result is recorded (the charge, the invoice)."""
    return KINDS[correction.kind].related(gateway, correction)


def update_mirror(session: Session, mirror: Mirror) -> None:
    applier = PageApplier(session, SyncCounts(), now=utcnow())
    for resource, objects in mirror.items():
        applier.apply(resource, objects)
