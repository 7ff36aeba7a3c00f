"""Authenticated encryption at rest for sensitive fields (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from ``SOS_DATA_KEY``, newest first: the newest encrypts, every key decrypts, so an operator
rotates by prepending a key and running ``sosbot rotate-key``.

Values stored in a row are *sealed*: the encrypted text starts with a digest of the row's place (table,
column and the row's random seal), checked on every read, so a value copied into another row or column (a
relay message pointed at another chat) fails authentication instead of being delivered. Rotation re-encrypts
the whole text, binding included.

Values that must be found (platform user and chat ids, a case's reporter) also get a *look-up hash*:
HMAC-SHA256 under a key derived from each data key. The newest key's hash is written; look-ups try every
configured key's, and ``rotate-key`` rewrites the hashes under the newest key. A hash key that outlived
rotations would let whoever obtained an old key (the reason one rotates) keep testing, in every later copy of
the database, whether a known account uses the network; deriving it from the data key makes rotation revoke
that too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.errors import ConfigError

# Sandbox data is made up; a fixed, public key keeps the sandbox reproducible and is refused elsewhere.
SANDBOX_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"sosbot sandbox - not a secret").digest()).decode()


SEAL_VERSION = b"\x01"
_BINDING_SIZE = 16
_LOOKUP_LABEL = b"sosbot look-up hash v1"


class DecryptionError(RuntimeError):
    """A stored value could not be authenticated with any configured key (or belongs to another row)."""


def _binding(context: str, seal: str) -> bytes:
    """The digest that ties a sealed value to its table, column and row."""
    return SEAL_VERSION + hashlib.sha256(f"{context}\x1f{seal}".encode()).digest()[:_BINDING_SIZE]


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
        # One look-up key per data key, derived (never the data key itself, which also encrypts).
        self._lookup_keys = [
            hmac.new(base64.urlsafe_b64decode(k.encode()), _LOOKUP_LABEL, hashlib.sha256).digest()
            for k in keys
        ]

    def encrypt(self, plaintext: str) -> str:
        """Return the token for ``plaintext``."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the plaintext of ``token``; raise :class:`DecryptionError` if no key authenticates it."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise DecryptionError("stored value failed authentication with every configured key") from None

    def seal(self, context: str, seal: str, plaintext: str) -> str:
        """Encrypt ``plaintext`` bound to ``context`` (``table.column``) and the row's ``seal``."""
        return self._fernet.encrypt(_binding(context, seal) + plaintext.encode("utf-8")).decode("ascii")

    def open(self, context: str, seal: str, token: str) -> str:
        """The plaintext of a sealed ``token``; :class:`DecryptionError` if it is not this row's value."""
        try:
            data = self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise DecryptionError("stored value failed authentication with every configured key") from None
        binding = _binding(context, seal)
        if not hmac.compare_digest(data[: len(binding)], binding):
            raise DecryptionError(f"stored value of {context} belongs to another row")
        return data[len(binding) :].decode("utf-8")

    def lookup(self, context: str, value: str) -> str:
        """The look-up hash of ``value`` in ``context`` under the newest key (what is written)."""
        return self.lookups(context, value)[0]

    def lookups(self, context: str, value: str) -> list[str]:
        """The look-up hashes of ``value`` under every configured key, newest first (what a look-up tries)."""
        message = f"{context}\x1f{value}".encode()
        return [hmac.new(key, message, hashlib.sha256).hexdigest()[:32] for key in self._lookup_keys]

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
