"""Authenticated encryption at rest for sensitive fields (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from ``SOS_DATA_KEY``, newest first: the newest encrypts, every key decrypts, so an operator
rotates by prepending a key and running ``sosbot rotate-key``.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.errors import ConfigError

# Sandbox data is made up; a fixed, public key keeps the sandbox reproducible and is refused elsewhere.
SANDBOX_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"sosbot sandbox - not a secret").digest()).decode()


class DecryptionError(RuntimeError):
    """A stored value could not be authenticated with any configured key."""


def validate_keys(keys: tuple[str, ...]) -> None:
    """Raise :class:`ConfigError` naming ``SOS_DATA_KEY`` when a key is not a Fernet key."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigError(
                f"SOS_DATA_KEY: key #{position} is not a url-safe base64 32-byte key (use `sosbot gen-key`)"
            ) from None


def generate_key() -> str:
    """Return a fresh key suitable for ``SOS_DATA_KEY``."""
    return Fernet.generate_key().decode()


class Keyring:
    """Encrypts with the newest key and decrypts with any of them."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise ConfigError("SOS_DATA_KEY: no key configured")
        validate_keys(keys)
        self.keys = keys
        self._newest = Fernet(keys[0].encode())
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        """Return the token for ``plaintext``."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the plaintext of ``token``; raise :class:`DecryptionError` if no key authenticates it."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise DecryptionError("stored value failed authentication with every configured key") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the newest key; raise :class:`DecryptionError` if no key opens it."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise DecryptionError("stored value failed authentication with every configured key") from None

    def authenticates(self, token: str) -> bool:
        """Whether some configured key authenticates ``token`` (the content is not returned)."""
        try:
            self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def is_newest(self, token: str) -> bool:
        """Whether ``token`` is already under the newest key (rotating it again would change nothing)."""
        try:
            self._newest.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    @property
    def uses_sandbox_key(self) -> bool:
        """Whether the sandbox's public key is one of this keyring's keys."""
        return SANDBOX_KEY in self.keys


_active: Keyring | None = None


def install_keyring(keyring: Keyring) -> None:
    """Make ``keyring`` the one the ``EncryptedText`` column type uses (set once at start)."""
    global _active
    _active = keyring


def active_keyring() -> Keyring:
    """The keyring installed at start; storing a sensitive field without one is a programming error."""
    if _active is None:
        raise RuntimeError("no keyring installed: call storage.crypto.install_keyring() at start")
    return _active
