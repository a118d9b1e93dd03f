"""Import the Zendesk Marketplace developer portal's installations export (CSV).

Columns (header names, any order; extra columns are ignored):
  required: subdomain, app_id (the Zendesk app id), installation_id, installed_at
  optional: state (enabled|disabled|uninstalled), plan, paid (true/false), seats,
            stripe_subscription_id, uninstalled_at
Dates are ISO 8601 (`2026-03-01` or `2026-03-01T10:00:00Z`; no zone means UTC).

Bad rows are reported with their line number (header = line 1) and the good rows still go in. Any
cell is refused with a reason rather than crashing: numbers are ASCII digits up to the store's integer
(2,147,483,647), dates must stay in range when moved to UTC, a cell over the csv module's 128 KB limit
rejects its row.
The file is streamed: reading, the preview and the import go through it row by row (batches of 5,000
against the store), holding per good row only its key (32 bytes, for the duplicate check), so memory
does not grow with the good rows (figures: docs/installations.md; scripts/bench_marketplace_import.py).
Re-importing the same file changes nothing. Cells are stored as the plain text they are: nothing is
evaluated, and a cell like `=HYPERLINK(...)` stays that string. Rows the Zendesk sync already owns
are left to the sync (the API is fresher than an export).
"""

from __future__ import annotations

import csv
import io
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlmodel import Session, SQLModel, select

from dashboard.access.identity import Actor
from dashboard.core import audit
from dashboard.core.errors import PermissionDenied, ValidationError
from dashboard.zendesk.connections import SUBDOMAIN_RE
from dashboard.zendesk.sync import company_app_ids
from models import Account, Installation
from models.types import MAX_BIGINT, MAX_INTEGER

SOURCE = "marketplace_csv"
REQUIRED_COLUMNS = ("subdomain", "app_id", "installation_id", "installed_at")
OPTIONAL_COLUMNS = ("state", "plan", "paid", "seats", "stripe_subscription_id", "uninstalled_at")
STATES = ("enabled", "disabled", "uninstalled")
MAX_BYTES = 200 * 1024 * 1024  # Streamlit's own upload limit; memory no longer grows with it
BATCH = 5000
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}
# Fields an import sets on an installation, in the order the preview lists changes.
IMPORTED_FIELDS = (
    "state",
    "plan_name",
    "paid",
    "seats",
    "stripe_subscription_id",
    "installed_at",
    "uninstalled_at",
)


class RowError(ValueError):
    """One cell (or the row) is unusable; the message names the column."""


@dataclass(frozen=True)
class ImportRow:
    line: int
    subdomain: str
    zendesk_app_id: int
    app_id: int
    installation_id: int
    values: dict[str, Any]


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str
    cells: dict[str, str]

    @property
    def cells_text(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cells.items())


@dataclass
class ParsedImport:
    """A checked file: its rejected rows, and the good rows read again from `data` when needed."""

    data: bytes
    app_ids: dict[int, int]
    rejected: list[RejectedRow] = field(default_factory=list)
    duplicates: dict[int, int] = field(default_factory=dict)  # line -> the line it repeats
    row_count: int = 0  # good rows

    def iter_rows(self) -> Iterator[ImportRow]:
        """The good rows, streamed from the file (nothing held)."""
        for _line, row in _checked_rows(self.data, self.app_ids):
            if isinstance(row, ImportRow) and row.line not in self.duplicates:
                yield row

    @property
    def rows(self) -> list[ImportRow]:
        return list(self.iter_rows())


@dataclass(frozen=True)
class PlannedChange:
    line: int
    subdomain: str
    zendesk_app_id: int
    installation_id: int
    action: str  # new | update | unchanged | kept_from_sync
    changes: str  # "state: enabled → disabled; seats: 5 → 7"


ACTION_LABELS = {
    "new": "New",
    "update": "Changed",
    "unchanged": "Unchanged",
    "kept_from_sync": "Left to the Zendesk sync",
}


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    kept_from_sync: int
    rejected: list[RejectedRow]


def _text(cells: dict[str, str | None], name: str) -> str:
    value = cells.get(name)
    return value.strip() if isinstance(value, str) else ""


def _int(cells: dict[str, str | None], name: str, *, required: bool, maximum: int = MAX_BIGINT) -> int | None:
    raw = _text(cells, name)
    if not raw:
        if required:
            raise RowError(f"{name} is empty")
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise RowError(f"{name} is not a whole number: {raw[:40]!r}")
    digits = raw.lstrip("0") or "0"
    if len(digits) > len(str(maximum)) or int(digits) > maximum:  # never int() of 5,000 digits
        raise RowError(f"{name} is larger than {maximum:,}: {raw[:40]!r}")
    value = int(digits)
    return value


def _date(cells: dict[str, str | None], name: str) -> datetime | None:
    raw = _text(cells, name)
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError) as error:  # OverflowError: year 1 or 9999 moved out of range
        raise RowError(f"{name} is not a date (YYYY-MM-DD): {raw[:40]!r}") from error


def _bounded(cells: dict[str, str | None], name: str, limit: int) -> str:
    value = _text(cells, name)
    if len(value) > limit:
        raise RowError(f"{name} is longer than {limit} characters")
    return value


def _values(cells: dict[str, str | None]) -> dict[str, Any]:
    installed_at = _date(cells, "installed_at")
    if installed_at is None:
        raise RowError("installed_at is empty")
    uninstalled_at = _date(cells, "uninstalled_at")
    state = _text(cells, "state").lower() or ("uninstalled" if uninstalled_at else "enabled")
    if state not in STATES:
        raise RowError(f"state must be one of {', '.join(STATES)}")
    paid = _text(cells, "paid").lower()
    if paid not in _TRUE | _FALSE:
        raise RowError("paid must be true or false")
    return {
        "state": state,
        "plan_name": _bounded(cells, "plan", 100),
        "paid": paid in _TRUE,
        "seats": _int(cells, "seats", required=False, maximum=MAX_INTEGER),
        "stripe_subscription_id": _bounded(cells, "stripe_subscription_id", 64) or None,
        "installed_at": installed_at,
        "uninstalled_at": uninstalled_at if state == "uninstalled" else None,
    }


def _read_csv(data: bytes) -> csv.DictReader:
    """A reader over the file as it is decoded, line by line (no decoded copy of the whole file)."""
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.", field="file")
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    try:
        header = [name.strip().lower() for name in reader.fieldnames or []]
    except csv.Error as error:
        raise ValidationError(f"The header row cannot be read: {error}.", field="file") from error
    except UnicodeDecodeError as error:
        raise _not_utf8() from error
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ValidationError(f"The header lacks the column(s): {', '.join(missing)}.", field="file")
    reader.fieldnames = header
    return reader


def _not_utf8() -> ValidationError:
    return ValidationError("The file is not UTF-8 text (save it as CSV UTF-8).", field="file")


def _raw(cells: dict[str | None, Any]) -> dict[str, str]:
    return {
        name: (value if isinstance(value, str) else "")
        for name, value in cells.items()
        if isinstance(name, str)
    }


def _checked_rows(
    data: bytes, app_ids: dict[int, int], progress: Callable[[float], None] | None = None
) -> Iterator[tuple[int, ImportRow | RejectedRow]]:
    """Every record, checked on its own (duplicates are found across the file by `parse_export`)."""
    lines = max(data.count(b"\n"), 1)
    for line, cells in _rows(_read_csv(data)):
        if progress is not None and line % BATCH == 0:
            progress(min(line / lines, 1.0))
        if isinstance(cells, RejectedRow):
            yield line, cells
            continue
        try:
            yield line, _parse_row(cells, line, app_ids)
        except RowError as error:
            yield line, RejectedRow(line, str(error), _raw(cells))


class _Keys:
    """The (subdomain, app, installation) key of every good row, 32 bytes a row, for the duplicate check."""

    def __init__(self) -> None:
        self.subdomains: dict[str, int] = {}
        self.columns = {name: array("q") for name in ("subdomain", "app", "installation", "line")}

    def add(self, row: ImportRow) -> None:
        index = self.subdomains.setdefault(row.subdomain, len(self.subdomains))
        for name, value in zip(self.columns, (index, row.app_id, row.installation_id, row.line), strict=True):
            self.columns[name].append(value)

    def duplicates(self) -> dict[int, int]:
        """Line of every row repeating an earlier row's key -> that earlier row's line."""
        subdomain, app, installation, line = (np.frombuffer(c, dtype=np.int64) for c in self.columns.values())
        if len(line) < 2:
            return {}
        order = np.lexsort((line, installation, app, subdomain))
        keys = np.stack([subdomain[order], app[order], installation[order]])
        repeats = np.r_[False, (keys[:, 1:] == keys[:, :-1]).all(axis=0)]
        first = line[order][np.flatnonzero(~repeats)][np.cumsum(~repeats) - 1]
        at = np.flatnonzero(repeats)
        return dict(zip(line[order][at].tolist(), first[at].tolist(), strict=True))


def parse_export(
    session: Session, data: bytes, *, progress: Callable[[float], None] | None = None
) -> ParsedImport:
    """Check every row; rejected rows (with line numbers) come back, nothing is written. The good rows are
    read again from the file when previewed or imported. `progress` hears the share of lines read, every
    5,000 rows."""
    parsed = ParsedImport(data, company_app_ids(session))
    keys = _Keys()
    try:
        for _line, row in _checked_rows(data, parsed.app_ids, progress):
            if isinstance(row, RejectedRow):
                parsed.rejected.append(row)
            else:
                keys.add(row)
        parsed.duplicates = keys.duplicates()
        if parsed.duplicates:
            parsed.rejected += _duplicate_rows(_read_csv(data), parsed.duplicates)
            parsed.rejected.sort(key=lambda rejected: rejected.line)
    except UnicodeDecodeError as error:
        raise _not_utf8() from error
    parsed.row_count = len(keys.columns["line"]) - len(parsed.duplicates)
    return parsed


def _duplicate_rows(reader: csv.DictReader, duplicates: dict[int, int]) -> Iterator[RejectedRow]:
    for line, cells in _rows(reader):
        if line in duplicates and not isinstance(cells, RejectedRow):
            yield RejectedRow(line, f"duplicate of line {duplicates[line]}", _raw(cells))


def _rows(reader: csv.DictReader) -> Iterator[tuple[int, dict[str | None, Any] | RejectedRow]]:
    """Each record with its line number; one the csv module cannot read (a cell over its 128 KB limit)
    as a RejectedRow, and reading goes on with the next."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, RejectedRow(start, f"the row cannot be read: {error}", {})
            continue
        yield reader.line_num, cells


def _parse_row(cells: dict[str | None, Any], line: int, app_ids: dict[int, int]) -> ImportRow:
    missing = [name for name in REQUIRED_COLUMNS if not _text(cells, name)]
    if missing:
        raise RowError(f"missing column(s): {', '.join(missing)}")
    if cells.get(None):
        raise RowError("more cells than columns in the header")
    subdomain = _text(cells, "subdomain").lower()
    if not SUBDOMAIN_RE.match(subdomain):
        raise RowError(f"subdomain is not a Zendesk subdomain: {subdomain[:40]!r}")
    zendesk_app_id = _int(cells, "app_id", required=True)
    if zendesk_app_id not in app_ids:
        raise RowError(f"unknown app: {zendesk_app_id} is not one of the company's apps")
    return ImportRow(
        line,
        subdomain,
        zendesk_app_id,
        app_ids[zendesk_app_id],
        _int(cells, "installation_id", required=True),
        _values(cells),
    )


def _existing(session: Session, rows: Iterable[ImportRow]) -> dict[tuple[str, int, int], Installation]:
    subdomains = sorted({row.subdomain for row in rows})
    found: dict[tuple[str, int, int], Installation] = {}
    for start in range(0, len(subdomains), 500):
        chunk = subdomains[start : start + 500]
        for installation, subdomain in session.exec(
            select(Installation, Account.zendesk_subdomain)
            .join(Account)
            .where(Account.zendesk_subdomain.in_(chunk))
        ).all():
            found[(subdomain, installation.app_id, installation.zendesk_installation_id)] = installation
    return found


def _accounts_for(session: Session, subdomains: set[str]) -> dict[str, int]:
    """Account id per subdomain, the missing accounts created (named after their subdomain) in one go:
    an import of 100k rows does not query or flush once per row."""
    found = _account_ids(session, sorted(subdomains))
    missing = sorted(subdomains - found.keys())
    defaults = _column_defaults(Account)
    _insert_rows(session, Account, [{**defaults, "company_name": n, "zendesk_subdomain": n} for n in missing])
    return found | _account_ids(session, missing)


def _account_ids(session: Session, subdomains: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(subdomains), 500):
        chunk = subdomains[start : start + 500]
        query = select(Account.zendesk_subdomain, Account.id).where(Account.zendesk_subdomain.in_(chunk))
        found.update(session.exec(query).all())
    return found


def _column_defaults(model: type[SQLModel]) -> dict[str, Any]:
    """Every column's default as the model declares it (factories called once), without the id."""
    return {
        name: info.get_default(call_default_factory=True)
        for name, info in model.model_fields.items()
        if name != "id"
    }


def _insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Plain executemany inserts: building one ORM object per row costs ~0.25 ms (100k rows: 25 s)."""
    table = model.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), rows[start : start + 5000])


def _describe(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    return "—" if value in (None, "") else str(value)


def _diff(installation: Installation, values: dict[str, Any]) -> list[str]:
    return [
        f"{name}: {_describe(getattr(installation, name))} → {_describe(values[name])}"
        for name in IMPORTED_FIELDS
        if getattr(installation, name) != values[name]
    ]


def _batches(rows: Iterator[ImportRow]) -> Iterator[tuple[ImportRow, ...]]:
    while batch := tuple(islice(rows, BATCH)):
        yield batch


def iter_plan(session: Session, parsed: ParsedImport) -> Iterator[PlannedChange]:
    """What applying `parsed` would do, row by row, streamed in batches (the preview)."""
    for batch in _batches(parsed.iter_rows()):
        existing = _existing(session, batch)
        for row in batch:
            yield _planned(row, existing.get((row.subdomain, row.app_id, row.installation_id)))


def _planned(row: ImportRow, current: Installation | None) -> PlannedChange:
    if current is None:
        action, changes = "new", "; ".join(f"{n}: {_describe(row.values[n])}" for n in IMPORTED_FIELDS)
    elif current.source != SOURCE:
        action, changes = "kept_from_sync", "synced from Zendesk; the sync keeps it up to date"
    else:
        diff = _diff(current, row.values)
        action, changes = ("update", "; ".join(diff)) if diff else ("unchanged", "")
    return PlannedChange(row.line, row.subdomain, row.zendesk_app_id, row.installation_id, action, changes)


def plan_import(session: Session, parsed: ParsedImport) -> list[PlannedChange]:
    """The whole preview as a list (for a download or a test; the page shows `preview_import`)."""
    return list(iter_plan(session, parsed))


@dataclass(frozen=True)
class ImportPreview:
    counts: dict[str, int]  # per action in ACTION_LABELS
    first: list[PlannedChange]  # the first `shown` rows of the plan


def preview_import(session: Session, parsed: ParsedImport, *, shown: int = 1000) -> ImportPreview:
    """The counts of the whole plan and its first `shown` rows, holding no more than that."""
    counts = dict.fromkeys(ACTION_LABELS, 0)
    first: list[PlannedChange] = []
    for change in iter_plan(session, parsed):
        counts[change.action] += 1
        if len(first) < shown:
            first.append(change)
    return ImportPreview(counts, first)


def action_counts(plan: list[PlannedChange]) -> dict[str, int]:
    counts = dict.fromkeys(ACTION_LABELS, 0)
    for change in plan:
        counts[change.action] += 1
    return counts


def apply_import(
    session: Session, actor: Actor, parsed: ParsedImport, *, file_name: str = ""
) -> ImportReport:
    """Write the good rows, streamed in batches (one audit row for the import); the caller commits."""
    if actor.role not in ("admin", "account_manager", "system"):
        raise PermissionDenied("Only account managers and admins import installations.")
    counts = {"new": 0, "update": 0, "unchanged": 0, "kept_from_sync": 0}
    for batch in _batches(parsed.iter_rows()):
        _apply_batch(session, batch, counts)
    session.flush()
    audit.record(
        session,
        actor,
        "marketplace_import",
        target_type="installations",
        details={"file": file_name[:200], **counts, "rejected": len(parsed.rejected)},
    )
    return ImportReport(
        counts["new"], counts["update"], counts["unchanged"], counts["kept_from_sync"], parsed.rejected
    )


def _apply_batch(session: Session, batch: tuple[ImportRow, ...], counts: dict[str, int]) -> None:
    existing = _existing(session, batch)
    new_rows = [r for r in batch if (r.subdomain, r.app_id, r.installation_id) not in existing]
    accounts = _accounts_for(session, {row.subdomain for row in new_rows})
    defaults = _column_defaults(Installation)
    _insert_rows(
        session,
        Installation,
        [
            {
                **defaults,
                "account_id": accounts[row.subdomain],
                "app_id": row.app_id,
                "zendesk_installation_id": row.installation_id,
                "source": SOURCE,
                **row.values,
            }
            for row in new_rows
        ],
    )
    counts["new"] += len(new_rows)
    for row in batch:
        current = existing.get((row.subdomain, row.app_id, row.installation_id))
        if current is None:
            continue
        if current.source != SOURCE:
            counts["kept_from_sync"] += 1
        elif _diff(current, row.values):
            for name, value in row.values.items():
                setattr(current, name, value)
            session.add(current)
            counts["update"] += 1
        else:
            counts["unchanged"] += 1
    session.flush()
