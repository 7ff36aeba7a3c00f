"""The network's languages: every reply, appeal and letter exists in these (the first is the source)."""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "ar", "pt")
