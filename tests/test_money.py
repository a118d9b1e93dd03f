"""The one money parser: a typed amount is refused, or it is exactly the value typed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.core.errors import ValidationError
from dashboard.core.money import exponent, format_money, parse_amount

CURRENCIES = ("eur", "usd", "jpy", "bhd")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1.50", "eur", 150),
        ("12", "eur", 1200),
        ("12.5", "eur", 1250),
        ("1250", "jpy", 1250),
        ("1.500", "bhd", 1500),
    ],
)
def test_plain_amounts_are_exact(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1,50", "eur"),  # a decimal comma would be a hundredfold refund
        ("1.234,50", "eur"),
        ("1,234.50", "usd"),
        ("١٢", "eur"),  # Arabic-Indic digits
        ("１２", "eur"),  # full-width digits
        ("1e3", "eur"),
        (" 12 ", "eur"),
        ("12.", "eur"),
        (".5", "eur"),
        ("1.2.3", "eur"),
        ("-5", "eur"),
        ("+5", "eur"),
        ("12.345", "eur"),
        ("12.5", "jpy"),
        ("1.2345", "bhd"),
        ("NaN", "eur"),
        ("Infinity", "eur"),
        ("€12", "eur"),
        ("", "eur"),
        ("0", "eur"),
        ("0.00", "eur"),
        ("1" * 13, "eur"),
    ],
)
def test_anything_else_is_refused_with_the_accepted_form(text, currency):
    with pytest.raises(ValidationError) as refused:
        parse_amount(text, currency)
    assert refused.value.field == "amount"
    assert "e.g." in refused.value.message or "more than zero" in refused.value.message


def test_the_message_names_the_currency_rules():
    with pytest.raises(ValidationError, match="no decimals"):
        parse_amount("12.50", "jpy")
    with pytest.raises(ValidationError, match="at most 3 decimals"):
        parse_amount("1,5", "bhd")


@settings(max_examples=2000, deadline=None)
@given(text=st.text(max_size=20), currency=st.sampled_from(CURRENCIES))
def test_arbitrary_text_is_refused_or_exactly_the_typed_value(text, currency):
    try:
        minor = parse_amount(text, currency)
    except ValidationError:
        return
    digits = exponent(currency)
    assert re.fullmatch(rf"[0-9]+(\.[0-9]{{1,{digits}}})?" if digits else "[0-9]+", text)
    assert minor > 0 and Decimal(minor).scaleb(-digits) == Decimal(text)


@settings(max_examples=500, deadline=None)
@given(
    whole=st.integers(min_value=0, max_value=10**9),
    fraction=st.integers(min_value=0, max_value=99),
)
def test_every_well_formed_amount_round_trips(whole, fraction):
    text = f"{whole}.{fraction:02d}"
    if whole == fraction == 0:
        return
    minor = parse_amount(text, "eur")
    assert minor == whole * 100 + fraction
    assert format_money(minor, "eur") == f"€{whole:,}.{fraction:02d}"
