"""Errors the store raises that the process reports to the operator (the CLI prints their one-line message)."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""
