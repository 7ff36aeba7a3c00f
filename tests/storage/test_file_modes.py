"""Files that hold people's data are readable by their owner only: the SQLite database, its WAL and SHM, exports."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from storage.db import create_engine
from storage.letter_export import write_private_files


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: _mode(p) for p in folder.iterdir()}


async def test_a_new_sqlite_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        path = tmp_path / "sos.db"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x TEXT)"))
            await connection.execute(text("INSERT INTO t VALUES ('a')"))
            files = _modes(tmp_path)
        await engine.dispose()
    finally:
        os.umask(previous)
    assert files == {"sos.db": 0o600, "sos.db-wal": 0o600, "sos.db-shm": 0o600}


async def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "sos.db"
    for name in ("sos.db", "sos.db-wal", "sos.db-shm"):
        (tmp_path / name).write_bytes(b"")
        (tmp_path / name).chmod(0o644)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await engine.dispose()
    assert _modes(tmp_path) == {
        "sos.db": 0o600,
        "sos.db-wal": 0o600,
        "sos.db-shm": 0o600,
    }


def test_exported_letter_files_are_0600(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        (tmp_path / "out").mkdir()
        stale = tmp_path / "out" / "CL-1.csv"
        stale.write_text("old")
        stale.chmod(0o644)
        write_private_files(tmp_path / "out", {"CL-1.csv": "a,b\n", "CL-1.html": "<p>x</p>"})
    finally:
        os.umask(previous)
    assert _modes(tmp_path / "out") == {"CL-1.csv": 0o600, "CL-1.html": 0o600}
    assert stale.read_text() == "a,b\n"
