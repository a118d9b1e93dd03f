"""The Account 360 page's address for an account (`app_pages/account.py`, opened as ?id=)."""

from __future__ import annotations

import pandas as pd


def account_link(account_id: object) -> str | None:
    """`/account?id=<id>`; None when there is no account (a Stripe customer nobody could match)."""
    return f"/account?id={int(account_id)}" if pd.notna(account_id) else None  # type: ignore[call-overload]
