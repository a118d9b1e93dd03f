"""Money is integer minor units with a currency code. These helpers convert only for display and FX."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 exponents that differ from 2 (Stripe's zero-decimal currencies among them).
_EXPONENTS = {"jpy": 0, "krw": 0, "vnd": 0, "clp": 0, "isk": 0, "huf": 2, "bhd": 3, "kwd": 3, "jod": 3}
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.lower(), 2)


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent(currency))


def to_minor(amount_major: Decimal | str | int, currency: str) -> int:
    """Exact conversion of a typed amount; raises ValueError if it has more decimals than the currency."""
    value = Decimal(str(amount_major))
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency.upper()} amounts have at most {exponent(currency)} decimals")
    return int(scaled)


def format_money(amount_minor: int | None, currency: str) -> str:
    if amount_minor is None:
        return ""
    major = to_major(amount_minor, currency)
    symbol = _SYMBOLS.get(currency.lower())
    text = f"{abs(major):,.{exponent(currency)}f}"
    sign = "-" if major < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def convert(amount_minor: int, currency: str, rate: Decimal, to_currency: str) -> int:
    """Convert minor units with `rate` (units of `to_currency` per unit of `currency`), banker's rounding."""
    major = to_major(amount_minor, currency) * rate
    return int((major.scaleb(exponent(to_currency))).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
