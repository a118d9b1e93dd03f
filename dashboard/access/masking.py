"""Personal data masking for viewers who need figures, not people (executives)."""

from __future__ import annotations

MASKED_ROLES = frozenset({"executive"})


def should_mask(role: str) -> bool:
    return role in MASKED_ROLES


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return "•••" if email else ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@•••{domain[domain.rfind('.') :] if '.' in domain else ''}"


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    return " ".join(f"{part[:1]}." for part in name.split() if part)


def mask_phone(phone: str | None) -> str:
    return "•••" + phone[-2:] if phone and len(phone) > 2 else ("•••" if phone else "")
