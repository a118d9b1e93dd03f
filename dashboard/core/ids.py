"""Record ids typed by people: in an address (`?id=36`), a filter box, a file being imported."""

from __future__ import annotations

from models.types import MAX_INTEGER

# Record ids are INTEGER columns (32-bit on PostgreSQL): anything larger names no row and would overflow
# a query.
MAX_ID = MAX_INTEGER


def parse_id(raw: object) -> int | None:
    """The id in `raw` when it is 1 to 10 ASCII digits naming a storable id, else None.

    `str.isdigit` alone is not enough: "²" is a digit that `int()` refuses, 5,000 digits are more than
    `int()` converts, and 20 digits overflow the database's integer.
    """
    text = str(raw).strip() if raw is not None else ""
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None
