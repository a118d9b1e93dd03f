"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, LargeBinary
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from dashboard.core import clock


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way in and out, on SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Usage actor hashes are HMAC-SHA256 cut to 128 bits: no two actors collide in practice (that takes
# ~2^64 of them), and each event row and its index keep half the bytes of the whole digest.
ACTOR_HASH_BYTES = 16


class ActorHash(TypeDecorator):
    """An actor hash stored as its raw bytes, read and compared as hex text."""

    impl = LargeBinary(ACTOR_HASH_BYTES)
    cache_ok = True

    def process_bind_param(self, value: str | bytes | None, dialect: Any) -> bytes | None:
        # Cut: a deletion planned before revision 0010 holds whole 32-byte digests.
        return bytes.fromhex(value)[:ACTOR_HASH_BYTES] if isinstance(value, str) else value

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else bytes(value).hex()


# 64-bit on PostgreSQL. SQLite's INTEGER already holds 64 bits, and an INTEGER primary key is the rowid
# (a BIGINT one would not autoincrement), so the SQLite schema keeps INTEGER.
BIGINT = BigInteger().with_variant(Integer(), "sqlite")
MAX_BIGINT = 2**63 - 1  # the largest value a BIGINT (and SQLite's INTEGER) column holds
MAX_INTEGER = 2**31 - 1  # the largest value a plain INTEGER column holds on PostgreSQL


def big_id_field() -> Any:
    """A 64-bit autoincrement primary key, for tables that grow without bound."""
    return Field(default=None, sa_column=Column(BIGINT, primary_key=True))


def external_id_field(*, unique: bool = False) -> Any:
    """An id another system assigns (Zendesk's are 12-14 digits today): 64-bit, nullable."""
    return Field(default=None, sa_type=BIGINT, unique=unique)


def utcnow() -> datetime:
    """The console clock's instant (dashboard.core.clock is a leaf module, so the tables may use it)."""
    return clock.now()


def personal(category: str) -> dict[str, Any]:
    """`sa_column_kwargs` for a column that holds personal data of `category` (models.data_map.Category)."""
    return {"info": {"personal_data": category}}


def utc_field(
    *, index: bool = False, nullable: bool = True, default_now: bool = False, personal_data: str | None = None
) -> Any:
    """A UTC datetime column; `default_now` fills it with the current time on insert."""
    kwargs: dict[str, Any] = {"sa_type": UTCDateTime, "index": index, "nullable": nullable}
    if personal_data:
        kwargs["sa_column_kwargs"] = personal(personal_data)
    if default_now:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(**kwargs)


def json_field(*, default_factory: Any = dict, personal_data: str | None = None) -> Any:
    kwargs: dict[str, Any] = {"default_factory": default_factory, "sa_type": JSON}
    if personal_data:
        kwargs["sa_column_kwargs"] = personal(personal_data)
    return Field(**kwargs)
