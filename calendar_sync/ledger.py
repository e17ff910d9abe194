"""The sync ledger: what each calendar has been sent, and the outbox of what it is still owed.

The sync engine must survive a crash at any point without sending a meeting twice, losing one,
or cancelling one by mistake. That is the outbox pattern: every planned delivery is committed
here before a back-end is called, and marked done only after it returned, so a rerun finds
exactly the work that is left. All SQL of the sync lives in this module, behind `Ledger`, so
that moving the storage (to SQLAlchemy, with the rest of the app) touches one file.

Tables:

- `items` — one row per calendar UID ever synced: its current fingerprint and SEQUENCE (raised
  by one each time the content changes or the item is cancelled, never lowered) and whether it
  is cancelled.
- `item_versions` — each content an item has had, as JSON, keyed by (uid, fingerprint). A
  delivery names its content by fingerprint, so a cancel can carry what the recipient's calendar
  actually holds (their last delivered version), and a delivery left pending by a crashed run
  is rebuilt exactly as it was planned.
- `deliveries` — the outbox and the history: one row per (backend, recipient, uid, sequence,
  action), pending → done | failed (permanent) | superseded (a newer plan replaced it before
  it was sent). A transient failure leaves the row pending with `attempts` and `last_error`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast
from zoneinfo import ZoneInfo

from calendar_sync.items import CalendarItem, ItemAttendee, Override, Reason
from calendar_sync.recurrence import Recurrence

Action = Literal["create", "update", "cancel"]
State = Literal["pending", "done", "failed", "superseded"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    uid         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    sequence    INTEGER NOT NULL CHECK (sequence >= 0),
    cancelled   INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    updated_at  TEXT NOT NULL,
    scope       TEXT
);
CREATE TABLE IF NOT EXISTS item_versions (
    uid         TEXT NOT NULL REFERENCES items (uid),
    fingerprint TEXT NOT NULL,
    item_json   TEXT NOT NULL,
    PRIMARY KEY (uid, fingerprint)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id          INTEGER PRIMARY KEY,
    backend     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    uid         TEXT NOT NULL REFERENCES items (uid),
    sequence    INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'cancel')),
    fingerprint TEXT NOT NULL,
    remote_id   TEXT,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'done', 'failed', 'superseded')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    updated_at  TEXT NOT NULL,
    reason      TEXT,
    UNIQUE (backend, recipient, uid, sequence, action),
    FOREIGN KEY (uid, fingerprint) REFERENCES item_versions (uid, fingerprint)
);
CREATE INDEX IF NOT EXISTS deliveries_open ON deliveries (backend, state);
CREATE INDEX IF NOT EXISTS deliveries_calendar ON deliveries (backend, recipient, uid, state);
"""


class Held(NamedTuple):
    """What one recipient's calendar holds for one UID, per the last done delivery."""

    sequence: int
    fingerprint: str
    remote_id: str | None


class ItemState(NamedTuple):
    sequence: int
    fingerprint: str
    cancelled: bool


@dataclass(frozen=True)
class Delivery:
    """One outbox row. `previous_remote_id` is what update/cancel need: the remote id returned by
    the last done delivery of this uid to this recipient (None if nothing was delivered yet)."""

    id: int
    backend: str
    recipient: str
    uid: str
    sequence: int
    action: Action
    fingerprint: str
    state: State
    attempts: int
    remote_id: str | None
    last_error: str | None
    previous_remote_id: str | None = None
    reason: Reason | None = None
    """why the recipient gets it (`calendar_sync.items.Reason`); None on rows from before reasons"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Ledger:
    """The sync ledger in one SQLite file (WAL, synchronous=FULL: a commit survives power loss).

    Every write runs in a transaction; callers that need several writes to land together (the
    engine's planning step) wrap them in `transaction()`, which nests.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; `transaction()` issues BEGIN IMMEDIATE,
        # which takes the write lock up front, so two processes cannot interleave a plan.
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._depth = 0
        with self.transaction():
            self._create_schema()

    def _create_schema(self) -> None:
        # executescript would COMMIT the open transaction; run the statements one by one instead.
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._conn.execute(statement)
        columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(items)")}
        if "scope" not in columns:  # a ledger from before scopes: its items stay unscoped (NULL)
            self._conn.execute("ALTER TABLE items ADD COLUMN scope TEXT")
        columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(deliveries)")}
        if "reason" not in columns:  # rows from before reasons: the action's plain meaning (NULL)
            self._conn.execute("ALTER TABLE deliveries ADD COLUMN reason TEXT")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside land together or not at all; an inner `transaction()` joins the outer."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0

    # ------------------------------------------------------------------ items and SEQUENCE

    def sequence_for(self, item: CalendarItem, fingerprint: str, scope: str | None = None) -> int:
        """The SEQUENCE `item` goes out with: 0 for a new UID, +1 when the fingerprint changed or
        the UID was cancelled (a revived item must outrank its CANCEL), else unchanged. `scope`
        (a term) is recorded with the item: a sync of one scope never cancels another's items."""
        with self.transaction():
            row = self._conn.execute(
                "SELECT sequence, fingerprint, cancelled FROM items WHERE uid = ?", (item.uid,)
            ).fetchone()
            if scope is not None:
                self._conn.execute("UPDATE items SET scope = ? WHERE uid = ?", (scope, item.uid))
            if row is None:
                sequence = 0
                self._conn.execute(
                    "INSERT INTO items (uid, fingerprint, sequence, cancelled, updated_at, scope) "
                    "VALUES (?, ?, 0, 0, ?, ?)",
                    (item.uid, fingerprint, _now(), scope),
                )
            elif row["fingerprint"] == fingerprint and not row["cancelled"]:
                sequence = int(row["sequence"])
            else:
                sequence = int(row["sequence"]) + 1
                self._conn.execute(
                    "UPDATE items SET fingerprint = ?, sequence = ?, cancelled = 0, updated_at = ? "
                    "WHERE uid = ?",
                    (fingerprint, sequence, _now(), item.uid),
                )
            self._conn.execute(
                # same fingerprint, same visible content; the JSON is refreshed for bookkeeping
                # fields the fingerprint leaves out (the covered meeting uids)
                "INSERT INTO item_versions (uid, fingerprint, item_json) VALUES (?, ?, ?) "
                "ON CONFLICT (uid, fingerprint) DO UPDATE SET item_json = excluded.item_json "
                "WHERE item_json != excluded.item_json",
                (item.uid, fingerprint, item_to_json(item)),
            )
            return sequence

    def cancel_item(self, uid: str) -> int:
        """Mark a UID cancelled, raising its SEQUENCE once (repeating this changes nothing)."""
        with self.transaction():
            row = self._conn.execute("SELECT sequence, cancelled FROM items WHERE uid = ?", (uid,)).fetchone()
            if row is None:
                raise KeyError(f"unknown calendar item '{uid}'")
            if row["cancelled"]:
                return int(row["sequence"])
            sequence = int(row["sequence"]) + 1
            self._conn.execute(
                "UPDATE items SET sequence = ?, cancelled = 1, updated_at = ? WHERE uid = ?",
                (sequence, _now(), uid),
            )
            return sequence

    def items(self, scope: str | None = None) -> dict[str, ItemState]:
        """Every UID the ledger knows, cancelled ones included; with `scope`, those of that scope
        (and unscoped ones, from ledgers written before scopes)."""
        rows = self._conn.execute(
            "SELECT uid, sequence, fingerprint, cancelled FROM items "
            "WHERE ? IS NULL OR scope IS NULL OR scope = ?",
            (scope, scope),
        )
        return {r["uid"]: ItemState(r["sequence"], r["fingerprint"], bool(r["cancelled"])) for r in rows}

    def item(self, uid: str, fingerprint: str) -> CalendarItem:
        """The item as it was when it had this fingerprint (what a delivery of it sends)."""
        row = self._conn.execute(
            "SELECT item_json FROM item_versions WHERE uid = ? AND fingerprint = ?", (uid, fingerprint)
        ).fetchone()
        if row is None:
            raise KeyError(f"no stored version {fingerprint} of calendar item '{uid}'")
        return item_from_json(row["item_json"])

    # ------------------------------------------------------------------ what calendars hold

    def current(self, backend: str, recipient: str) -> dict[str, Held]:
        """UID -> what `recipient`'s calendar on `backend` holds, per the last done delivery of
        each UID; a UID whose last done delivery was a cancel is not held."""
        return self._held(backend, recipient).get(recipient, {})

    def holdings(self, backend: str) -> dict[str, dict[str, Held]]:
        """`current` for every recipient of `backend` at once: recipient -> UID -> Held."""
        return self._held(backend, None)

    def _held(self, backend: str, recipient: str | None) -> dict[str, dict[str, Held]]:
        rows = self._conn.execute(
            """
            SELECT recipient, uid, sequence, fingerprint, remote_id, action FROM (
                SELECT *, ROW_NUMBER() OVER (
                    PARTITION BY recipient, uid ORDER BY sequence DESC, id DESC
                ) AS latest
                FROM deliveries
                WHERE backend = ? AND state = 'done' AND (? IS NULL OR recipient = ?)
            ) WHERE latest = 1 AND action != 'cancel'
            """,
            (backend, recipient, recipient),
        )
        held: dict[str, dict[str, Held]] = {}
        for r in rows:
            held.setdefault(r["recipient"], {})[r["uid"]] = Held(
                r["sequence"], r["fingerprint"], r["remote_id"]
            )
        return held

    # ------------------------------------------------------------------ the outbox

    def plan_delivery(
        self,
        backend: str,
        recipient: str,
        uid: str,
        sequence: int,
        action: Action,
        fingerprint: str,
        reason: Reason | None = None,
    ) -> tuple[int, State]:
        """Put a delivery in the outbox; return its id and state. Planning the same (backend,
        recipient, uid, sequence, action) again returns the existing row: a rerun after a crash
        adds nothing. A superseded row becomes pending again; done and failed rows stay as they
        are (a permanent failure is not retried until the item changes)."""
        with self.transaction():
            self._conn.execute(
                """
                INSERT INTO deliveries
                    (backend, recipient, uid, sequence, action, fingerprint, updated_at, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (backend, recipient, uid, sequence, action) DO UPDATE
                    SET state = 'pending', fingerprint = excluded.fingerprint,
                        updated_at = excluded.updated_at, reason = excluded.reason
                    WHERE state = 'superseded'
                """,
                (backend, recipient, uid, sequence, action, fingerprint, _now(), reason),
            )
            row = self._conn.execute(
                "SELECT id, state FROM deliveries "
                "WHERE backend = ? AND recipient = ? AND uid = ? AND sequence = ? AND action = ?",
                (backend, recipient, uid, sequence, action),
            ).fetchone()
            return int(row["id"]), cast(State, row["state"])

    def supersede(self, backend: str, recipient: str, uid: str, keep: int | None = None) -> int:
        """Mark the pending deliveries of `uid` to `recipient` superseded, except `keep`: a newer
        plan decided what this calendar should get. Returns how many rows it touched."""
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE deliveries SET state = 'superseded', updated_at = ? "
                "WHERE backend = ? AND recipient = ? AND uid = ? AND state = 'pending' AND id IS NOT ?",
                (_now(), backend, recipient, uid, keep),
            )
            return cursor.rowcount

    def pending(self, backend: str) -> list[Delivery]:
        """The outbox of `backend`, oldest first, each with the remote id update/cancel need."""
        return self._deliveries("d.backend = ? AND d.state = 'pending'", (backend,))

    def deliveries(self, backend: str | None = None) -> list[Delivery]:
        """Every delivery row (history included), oldest first; for reports and tests."""
        return self._deliveries("(? IS NULL OR d.backend = ?)", (backend, backend))

    def _deliveries(self, where: str, params: tuple[Any, ...]) -> list[Delivery]:
        rows = self._conn.execute(
            f"""
            SELECT d.*, (
                SELECT p.remote_id FROM deliveries p
                WHERE p.backend = d.backend AND p.recipient = d.recipient AND p.uid = d.uid
                  AND p.state = 'done'
                ORDER BY p.sequence DESC, p.id DESC LIMIT 1
            ) AS previous_remote_id
            FROM deliveries d WHERE {where} ORDER BY d.id
            """,
            params,
        )
        return [
            Delivery(
                id=r["id"],
                backend=r["backend"],
                recipient=r["recipient"],
                uid=r["uid"],
                sequence=r["sequence"],
                action=cast(Action, r["action"]),
                fingerprint=r["fingerprint"],
                state=cast(State, r["state"]),
                attempts=r["attempts"],
                remote_id=r["remote_id"],
                last_error=r["last_error"],
                previous_remote_id=r["previous_remote_id"],
                reason=cast("Reason | None", r["reason"]),
            )
            for r in rows
        ]

    def mark_done(self, delivery_id: int, remote_id: str | None) -> None:
        """The back-end took the delivery; `remote_id` is what it returned (None for a cancel)."""
        with self.transaction():
            self._conn.execute(
                "UPDATE deliveries SET state = 'done', remote_id = ?, attempts = attempts + 1, "
                "last_error = NULL, updated_at = ? WHERE id = ?",
                (remote_id, _now(), delivery_id),
            )

    def mark_failed(self, delivery_id: int, error: str, permanent: bool) -> None:
        """Record a failed attempt. Permanent: the row is failed and not retried until the item
        changes. Otherwise it stays pending, so this run (backoff) or the next one retries it."""
        with self.transaction():
            self._conn.execute(
                "UPDATE deliveries SET state = CASE WHEN ? THEN 'failed' ELSE state END, "
                "attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?",
                (permanent, error, _now(), delivery_id),
            )


# --------------------------------------------------------------------------- item <-> JSON

_DATACLASSES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (CalendarItem, ItemAttendee, Override, Recurrence)
}


def _encode(value: Any) -> Any:
    """Tagged JSON that round-trips exactly: aware datetimes keep their zone name, tuples stay tuples."""
    if is_dataclass(value) and not isinstance(value, type):
        encoded = {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
        return {"$type": type(value).__name__, **encoded}
    if isinstance(value, datetime):
        zone = value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else None
        return {"$datetime": value.isoformat(), "zone": zone}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if any(not isinstance(k, str) or k.startswith("$") for k in value):
            raise TypeError(f"cannot store a dict with keys {sorted(map(str, value))}")
        return {k: _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in the sync ledger")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$type" in value:
        cls = _DATACLASSES[value["$type"]]
        return cls(**{k: _decode(v) for k, v in value.items() if k != "$type"})
    if "$datetime" in value:
        moment = datetime.fromisoformat(value["$datetime"])
        return moment.astimezone(ZoneInfo(value["zone"])) if value["zone"] else moment
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$tuple" in value:
        return tuple(_decode(v) for v in value["$tuple"])
    return {k: _decode(v) for k, v in value.items()}


def item_to_json(item: CalendarItem) -> str:
    return json.dumps(_encode(item), ensure_ascii=False, sort_keys=True)


def item_from_json(text: str) -> CalendarItem:
    item = _decode(json.loads(text))
    if not isinstance(item, CalendarItem):
        raise ValueError("stored JSON is not a calendar item")
    if isinstance(item.rrule, dict):  # written before recurrence was typed: the RRULE parts
        item = replace(item, rrule=Recurrence.from_parts(item.rrule))
    return item
