"""Privacy words for values the store keeps as machine names: request types, statuses, jurisdictions."""

from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.requests import TYPE_LABELS
from dashboard.privacy.states import STATUS_LABELS


def type_label(value: str) -> str:
    return TYPE_LABELS.get(value, value)


def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


def jurisdiction_label(value: str) -> str:
    return JURISDICTION_LABELS.get(value, value)
