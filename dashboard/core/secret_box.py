"""Encryption of stored secrets (Zendesk API tokens) with Fernet, keyed from `SECRET_KEY` (core/keys.py).

Changing `secret_key` makes stored tokens unreadable: they must then be entered again.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from dashboard.core.settings import get_settings

_PURPOSE = b"apps-console/stored-secrets/v1:"


class SecretUnreadable(Exception):
    """The stored secret was encrypted with another key (or altered)."""


def _fernet() -> Fernet:
    secret = get_settings().keys.secret_key
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(_PURPOSE + secret).digest()))


def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except (InvalidToken, ValueError) as error:
        message = "The stored secret cannot be decrypted with the current secret key."
        raise SecretUnreadable(message) from error
