"""Yearly privacy reporting: received, completed, denied, and days to respond (median and 95th percentile)."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session, select

from models import PrivacyRequest

GROUPINGS = ("type", "jurisdiction")
COLUMNS = ["year", "group", "received", "completed", "denied", "median_days", "p95_days"]


def _request_frame(session: Session) -> pd.DataFrame:
    rows = session.exec(
        select(
            PrivacyRequest.type,
            PrivacyRequest.jurisdiction,
            PrivacyRequest.status,
            PrivacyRequest.received_on,
            PrivacyRequest.completed_at,
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["type", "jurisdiction", "status", "received_on", "completed_at"])
    frame["year"] = pd.to_datetime(frame["received_on"]).dt.year
    answered = pd.to_datetime(frame["completed_at"], utc=True).dt.tz_localize(None).dt.normalize()
    frame["days"] = (answered - pd.to_datetime(frame["received_on"])).dt.days
    return frame


def _summarise(groups) -> pd.DataFrame:
    return groups.agg(
        received=("status", "size"),
        completed=("status", lambda s: int((s == "completed").sum())),
        denied=("status", lambda s: int((s == "denied").sum())),
        median_days=("days", "median"),
        p95_days=("days", lambda d: d.quantile(0.95)),
    ).reset_index()


def yearly_report(session: Session, *, by: str) -> pd.DataFrame:
    """One row per year and `by` value (type or jurisdiction), plus an "all" row per year.

    Days to respond count from receipt to the day the answer went out (completed or denied), in UTC days;
    the 95th percentile is linear between the nearest ranks.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}")
    frame = _request_frame(session)
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    detail = _summarise(frame.groupby(["year", by])).rename(columns={by: "group"})
    totals = _summarise(frame.groupby("year")).assign(group="all")
    report = pd.concat([detail, totals[detail.columns]], ignore_index=True)
    report = report.sort_values(["year", "group"], ascending=[False, True], key=_all_last)
    return report[COLUMNS].reset_index(drop=True)


def _all_last(column: pd.Series) -> pd.Series:
    return column.map(lambda v: f"~{v}" if v == "all" else v) if column.name == "group" else column
