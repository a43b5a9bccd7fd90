"""The rules for each account field, shared by the service, the CLI and the patron import.

Each check returns the cleaned value or raises `InvalidAccount` with a message that names the
field and the rule, never the value (it may be a card number or an e-mail address).
"""

from __future__ import annotations

import re

from accounts.errors import InvalidAccount

LIBRARY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
CARD_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,63}")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,99}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
TOKEN_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
MIN_PIN, MAX_PIN = 4, 64
MIN_PASSWORD, MAX_PASSWORD = 12, 1024


def library_id(value: str) -> str:
    value = value.strip()
    if not LIBRARY_ID.fullmatch(value):
        raise InvalidAccount("library id: 1-100 letters, digits, '.', '_' or '-'")
    return value


def card_number(value: str) -> str:
    value = value.strip()
    if not CARD_NUMBER.fullmatch(value):
        raise InvalidAccount("card number: 1-64 letters, digits, '.' or '-', no spaces")
    return value


def username(value: str) -> str:
    value = value.strip().lower()
    if not USERNAME.fullmatch(value):
        raise InvalidAccount("username: 2-100 lower-case letters, digits, '.', '_', '@' or '-'")
    return value


def name(value: str, *, required: bool = True) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise InvalidAccount("name: must not be empty")
    if len(value) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidAccount("name: at most 200 characters, no control characters")
    return value


def email(value: str) -> str:
    """An e-mail address, or '' (a patron need not have one)."""
    value = value.strip()
    if value and (len(value) > 254 or not EMAIL.fullmatch(value)):
        raise InvalidAccount("email: not an e-mail address (like name@example.org)")
    return value


def pin(value: str) -> str:
    if not MIN_PIN <= len(value) <= MAX_PIN or any(c.isspace() for c in value):
        raise InvalidAccount(f"PIN: {MIN_PIN}-{MAX_PIN} characters, no spaces")
    return value


def password(value: str) -> str:
    if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise InvalidAccount(f"password: {MIN_PASSWORD}-{MAX_PASSWORD} characters")
    return value


def token_name(value: str) -> str:
    value = value.strip()
    if not TOKEN_NAME.fullmatch(value):
        raise InvalidAccount("token name: 1-100 characters, no control characters")
    return value
