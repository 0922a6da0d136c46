"""SQLite storage (standard library) for users and orders."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

SCHEMA = """
create table if not exists users (
    id integer primary key,
    name text not null,
    email text not null unique,
    phone text,
    welcome_email text not null
);
create table if not exists orders (
    id integer primary key,
    user_id integer not null references users(id),
    amount integer not null,
    currency text not null,
    status text not null,
    payment_intent text,
    decline_code text,
    webhook_confirmed integer not null default 0,
    checkout_session text
);
"""


class Database:
    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock, self._conn:
            self._conn.executescript(SCHEMA)

    def execute(self, sql: str, *args: Any) -> int:
        with self._lock, self._conn:
            cur = self._conn.execute(sql, args)
            return cur.lastrowid or 0

    def one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(sql, args).fetchone()
        return dict(row) if row else None

    def close(self) -> None:
        self._conn.close()
