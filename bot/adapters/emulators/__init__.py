"""Loopback emulators of the Telegram Bot API and the Slack Web API (sandbox, demo, tests, benchmarks)."""
