"""``python -m bot`` is ``sosbot``."""

from bot.cli import main

raise SystemExit(main())
