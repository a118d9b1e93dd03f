"""Money is integer minor units with a currency code.

`parse_amount` is the one parser of typed amounts in the console and `format_money` the one formatter;
the other helpers convert only for display and FX.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from dashboard.core.errors import ValidationError

# ISO 4217 exponents that differ from 2 (Stripe's zero-decimal currencies among them).
_EXPONENTS = {"jpy": 0, "krw": 0, "vnd": 0, "clp": 0, "isk": 0, "huf": 2, "bhd": 3, "kwd": 3, "jod": 3}
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}
# Twelve digits before the point: far above any amount Stripe accepts, far below anything absurd.
MAX_WHOLE_DIGITS = 12


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.lower(), 2)


def symbol(currency: str) -> str | None:
    """The currency's own sign where the console writes one ("$", "€"), else None (the code is written)."""
    return _SYMBOLS.get(currency.lower())


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent(currency))


def accepted_form(currency: str) -> str:
    """How an amount in `currency` must be typed, in words, with an example."""
    digits = exponent(currency)
    code = currency.upper()
    if digits == 0:
        return f"whole {code} in plain digits, e.g. 1250 ({code} has no decimals; no separators)"
    example = "12." + "5" + "0" * (digits - 1)
    return (
        f"digits with a dot before at most {digits} decimals, e.g. {example} {code} "
        "(no commas, spaces or thousands separators)"
    )


def _pattern(currency: str) -> re.Pattern[str]:
    digits = exponent(currency)
    fraction = rf"(?:\.[0-9]{{1,{digits}}})?" if digits else ""
    return re.compile(rf"[0-9]{{1,{MAX_WHOLE_DIGITS}}}{fraction}")


def parse_amount(text: str, currency: str, *, field: str = "amount") -> int:
    """A typed major-unit amount as exact minor units of `currency`, or a ValidationError on `field`.

    Only ASCII digits, at most one dot and at most the currency's minor digits: "1,50", "1.234,50",
    "١٢", "1e3", " 12 " are refused rather than guessed at. Zero is refused too.
    """
    if not currency:
        raise ValidationError("The currency is missing.", field="currency")
    if not _pattern(currency).fullmatch(text or ""):
        raise ValidationError(f"Type the amount as {accepted_form(currency)}.", field=field)
    amount = int(Decimal(text).scaleb(exponent(currency)))  # exact: the pattern allows no more decimals
    if amount <= 0:
        raise ValidationError("The amount must be more than zero.", field=field)
    return amount


def format_money(amount_minor: int | None, currency: str) -> str:
    if amount_minor is None:
        return ""
    major = to_major(amount_minor, currency)
    sign_text = symbol(currency)
    text = f"{abs(major):,.{exponent(currency)}f}"
    sign = "-" if major < 0 else ""
    return f"{sign}{sign_text}{text}" if sign_text else f"{sign}{text} {currency.upper()}"


def convert(amount_minor: int, currency: str, rate: Decimal, to_currency: str) -> int:
    """Convert minor units with `rate` (units of `to_currency` per unit of `currency`), banker's rounding."""
    major = to_major(amount_minor, currency) * rate
    return int((major.scaleb(exponent(to_currency))).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
