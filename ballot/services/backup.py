"""Backups of the embedded SQLite database (PostgreSQL uses pg_dump; see README)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from ballot.domain.errors import N_, InvalidInput


def sqlite_path(database_url: str) -> Path:
    """The file behind an SQLite URL; InvalidInput for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput(N_("只有嵌入式 SQLite 数据库可以用此命令备份；PostgreSQL 请使用 pg_dump / pg_restore（见 README）。"))
    return Path(url.database)


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the live database to ``target`` with SQLite's online backup; returns its page count.

    The online backup copies a consistent snapshot even while kiosks keep writing, including
    what is still only in the write-ahead log.
    """
    source = sqlite3.connect(sqlite_path(database_url))
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
        pages = destination.execute("PRAGMA page_count").fetchone()[0]
        check = destination.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise InvalidInput(N_("备份文件完整性检查失败：%(detail)s"), detail=check)
    finally:
        destination.close()
        source.close()
    return pages


def restore_sqlite(database_url: str, backup: Path) -> None:
    """Replace the database with ``backup`` (run with the server stopped)."""
    target = sqlite_path(database_url)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        try:
            intact = source.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {row[0] for row in
                      source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError:
            raise InvalidInput(N_("该文件不是有效的 SQLite 备份，未做任何更改。")) from None
        if not intact:
            raise InvalidInput(N_("备份文件已损坏，未做任何更改。"))
        if "vote_sessions" not in tables:
            raise InvalidInput(N_("该文件不是票决系统的备份，未做任何更改。"))
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
