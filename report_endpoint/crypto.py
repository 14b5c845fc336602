"""Contact details at rest: encrypted with the instance's Fernet key."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet
from flask import current_app


def _fernet() -> Fernet:
    return Fernet(current_app.config["CONTACT_KEY"].encode())


def encrypt_contact(contact: dict) -> bytes:
    return _fernet().encrypt(json.dumps(contact, ensure_ascii=False).encode())


def decrypt_contact(token: bytes) -> dict:
    return json.loads(_fernet().decrypt(token).decode())
