"""The export ZIP: data.json (the faithful copy), one CSV per category, README.txt and manifest.json.

Files are written owner-only (0600) in an owner-only directory (0700) outside any served folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.core.csv_export import frame_to_csv
from dashboard.privacy.exports.parts import SourcePart
from dashboard.privacy.exports.systems import SYSTEM_LABELS

CATEGORY_TEXT: dict[str, str] = {
    "contact": "Your contact details as a customer contact (name, email, phone).",
    "account_roles": "The customer account(s) you are a contact of and your role there.",
    "marketing_consent": "Whether you opted out of marketing email, and when.",
    "installations": "Our apps installed in your company's Zendesk account.",
    "usage_events": "Each recorded use of our apps attributed to you (feature, time, IP address, browser).",
    "technical_data": "Each distinct IP address, browser and operating system seen in your usage.",
    "privacy_requests": "Privacy requests you made to us, including this one.",
    "stripe_customers": "Your customer record(s) in Stripe, our payment processor.",
    "stripe_subscriptions": "Subscriptions billed to those customer records.",
    "stripe_invoices": "Invoices issued to those customer records (amounts in minor units, e.g. cents).",
    "stripe_payments": "Payments made; cards appear only as brand and last four digits.",
    "stripe_refunds": "Refunds of those payments.",
    "zendesk_users": "Your user record(s) in Zendesk.",
    "zendesk_tickets": "Support tickets you requested.",
    "zendesk_comments": "The comments on those tickets. Other people's names and email addresses are "
    'redacted; their comments are shown as written by "another person".',
}
DIR_MODE = 0o700
FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    path.chmod(DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write `data` readable by the console's user only (created 0600, never world-readable on the way)."""
    temporary = path.with_name(path.name + ".part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(data)
    temporary.replace(path)


def append_private(path: Path, data: bytes) -> None:
    """Append `data` to a file readable by the console's user only (created 0600)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    with os.fdopen(descriptor, "ab") as handle:
        handle.write(data)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_zip(
    *,
    request_id: int,
    export_id: int,
    generated_at: datetime,
    parts: dict[str, SourcePart],
    sources: dict[str, dict[str, Any]],
) -> bytes:
    """The ZIP's bytes. `parts` holds the sources that were collected; `sources` every source's status."""
    files: dict[str, bytes] = {}
    data = {
        "request_id": request_id,
        "export_id": export_id,
        "generated_at": generated_at.isoformat(),
        "sources": {
            name: {"status": sources[name]["status"], "categories": part.categories}
            for name, part in parts.items()
        },
    }
    files["data.json"] = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()
    for part in parts.values():
        for category, rows in part.categories.items():
            files[f"{category}.csv"] = frame_to_csv(_frame(rows))
    files["README.txt"] = _readme(request_id, generated_at, parts, sources).encode()
    manifest = _manifest(request_id, export_id, generated_at, parts, sources, files)
    files["manifest.json"] = json.dumps(manifest, indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            # dated when it was generated (not by the wall clock), so the same export gives the same bytes
            entry = zipfile.ZipInfo(name, date_time=generated_at.timetuple()[:6])
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            archive.writestr(entry, content)
    return buffer.getvalue()


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.astype(object).where(frame.notna(), None) if not frame.empty else frame


def _manifest(
    request_id: int,
    export_id: int,
    generated_at: datetime,
    parts: dict[str, SourcePart],
    sources: dict[str, dict[str, Any]],
    files: dict[str, bytes],
) -> dict[str, Any]:
    cut_short = {name: info.get("error") for name, info in sources.items() if info["status"] != "done"}
    return {
        "request_id": request_id,
        "export_id": export_id,
        "generated_at": generated_at.isoformat(),
        "sources": {
            name: {"status": info["status"], "error": info.get("error"), "fetched_at": info.get("fetched_at")}
            for name, info in sources.items()
        },
        "record_counts": {
            category: count for part in parts.values() for category, count in part.counts().items()
        },
        "files": {name: {"sha256": sha256(data), "bytes": len(data)} for name, data in files.items()},
        "incomplete": bool(cut_short),
        "cut_short": cut_short,
    }


def _readme(
    request_id: int, generated_at: datetime, parts: dict[str, SourcePart], sources: dict[str, dict[str, Any]]
) -> str:
    lines = [
        f"Your personal data (privacy request #{request_id})",
        f"Prepared on {generated_at:%d %B %Y at %H:%M} UTC.",
        "",
        "data.json holds everything in one file; each .csv file holds one category and opens in a "
        "spreadsheet. manifest.json lists every file with its SHA-256 checksum so you can check nothing "
        "was changed. Only records matching your email address exactly are included.",
        "",
    ]
    for name, info in sources.items():
        label = SYSTEM_LABELS[name]
        if info["status"] != "done":
            lines += [f"== {label}: NOT INCLUDED ==", f"{info.get('error') or 'It could not be read.'}", ""]
            continue
        lines.append(f"== {label} ==")
        for category, rows in parts[name].categories.items():
            records = "1 record" if len(rows) == 1 else f"{len(rows):,} records"
            lines.append(f"- {category}.csv ({records}): {CATEGORY_TEXT.get(category, category)}")
        lines += [f"Note: {note}" for note in parts[name].notes]
        lines.append("")
    return "\n".join(lines) + "\n"
