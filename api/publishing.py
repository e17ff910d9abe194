"""Making a plan version live and sending it to calendars: one sender per term, nothing lost.

Three rules, so that a crash or two leaders at once can never leave calendars half-changed:

1. **One sender per term.** A publish (or a change of a live plan) first takes the term's publish
   lease (`storage.lock_publishing`, a row in the database: the same on SQLite and PostgreSQL, in
   every process); a second publish of the term is refused with 409 *before* it sends anything.
2. **The intent is committed first.** The version is marked published and a `Publication` row is
   written in the same transaction as the version itself; only then is anything sent, through the
   calendar outbox (`calendar_sync.sync`), and the publication is marked done at the end.
3. **Unsent work is resumed.** A publication still pending (the process died while sending) is
   finished by `resume_pending`, at start-up and by a periodic sweep (`OutboxSweeper`), from the
   outbox: what was sent is not sent again, what was not is sent. `unsent` tells a leader what is
   still waiting.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from api import storage
from api.db import Conflict, session_scope
from api.deps import AppState
from api.orm import PlanVersion, Publication
from calendar_sync.items import items_from_plan
from calendar_sync.ledger import Delivery, Ledger
from calendar_sync.publish import delivered, digest, prepare
from calendar_sync.publish import preview as preview_messages
from calendar_sync.publish import publish as publish_to_calendars
from scheduler.model import MunicipalityConfig, Plan

log = logging.getLogger("moedeplan.publishing")

SWEEPER = "udsendelse (genoptaget)"
"""The actor of publications finished by the sweep, in the audit log."""


class PublishBusy(Conflict):
    """Another publish of the term is sending right now (-> 409); nothing was sent by this one."""

    def __init__(self, term: str) -> None:
        super().__init__(f"en udsendelse af {term} er i gang lige nu; vent til den er færdig, og prøv igen")
        self.term = term


class PublishChanged(Conflict):
    """The publish would now send other messages than the preview its sender confirmed (-> 409);
    nothing was committed or sent. The Danish text names the count it would send now."""

    def __init__(self, now: int, shown: int) -> None:
        if now != shown:
            what = f"udsendelsen ville nu sende {now} {plural(now)}, ikke de {shown}, der blev vist"
        else:
            what = f"udsendelsen ville nu sende andre {now} {plural(now)} end dem, der blev vist"
        super().__init__(f"{what}; se forhåndsvisningen igen, og bekræft det nye antal")
        self.now = now
        self.shown = shown


def plural(n: int) -> str:
    return "besked" if n == 1 else "beskeder"


@dataclass
class Sent:
    """What one publication delivered."""

    messages: int = 0
    recipients: list[str] = field(default_factory=list)
    delivered: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    unreachable: str | None = None
    """the calendar server could not be reached (Danish, naming the setting); the rest waits"""


# --------------------------------------------------------------------------- the lease


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _gone(holder: str) -> bool:
    """Whether the lease's holder is a process on this host that no longer exists."""
    host, _, rest = holder.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextmanager
def sending(state: AppState, term: str) -> Iterator[str]:
    """Hold the term's publish lease while the block runs; `PublishBusy` if another sender has it."""
    holder = _holder()
    ttl = timedelta(seconds=state.settings.publish_lock_seconds)
    with session_scope(state.sessions) as db:
        current = storage.publish_lock_holder(db, term)
        dead = [current] if current is not None and _gone(current) else []
        taken = storage.lock_publishing(db, term, holder, ttl, dead=dead)
    if not taken:
        raise PublishBusy(term)
    try:
        yield holder
    finally:
        with session_scope(state.sessions) as db:
            storage.unlock_publishing(db, term, holder)


# --------------------------------------------------------------------------- publishing


def check_publishable(db: Session, config: MunicipalityConfig, plan: Plan) -> None:
    """Refuse, before anything is committed or sent, a plan that cannot be published: no plan at
    all (`PublishError`), or one the privacy guard stops (`PrivacyError`)."""
    prepare(config, plan, storage.absence_reasons(db))


def check_confirmed(
    db: Session,
    state: AppState,
    config: MunicipalityConfig,
    plan: Plan,
    backend: str | None,
    messages: int | None,
    fingerprint: str | None,
) -> None:
    """Refuse (`PublishChanged`) a publish that would now send other messages than the preview
    its sender confirmed: `messages` its count, `fingerprint` its `calendar_sync.publish.digest`
    (either may be None: not checked). Call with the term's lease held, so nothing else changes
    what the publish sends between this check and the sending."""
    if messages is None and fingerprint is None:
        return
    planned = preview_messages(
        config, plan, state.calendar, backend, confidential=storage.absence_reasons(db)
    )
    if (messages is not None and len(planned) != messages) or (
        fingerprint is not None and digest(planned) != fingerprint
    ):
        raise PublishChanged(len(planned), len(planned) if messages is None else messages)


def make_live(
    db: Session, state: AppState, row: PlanVersion, actor: str, reason: str, backend: str | None
) -> Publication:
    """Mark `row` published and record what it owes the calendars, in the caller's transaction
    (commit it, then `send`)."""
    name = backend or state.calendar.calendar_backend
    storage.publish_plan_version(db, row.id, row.version, actor, reason)
    return storage.add_publication(db, row, name, actor, reason)


def _send(state: AppState, publication_id: int, actor: str) -> Sent:
    """Deliver one committed publication and mark it done. Call with the term's lease held."""
    from api.jobs import effective_config

    with session_scope(state.sessions) as db:
        publication = storage.get_publication(db, publication_id)
        backend = publication.backend
        row, plan = storage.get_plan(db, publication.plan_version_id)
        config = effective_config(db, storage.get_config(db, row.config_version_id))
        confidential = storage.absence_reasons(db)
    report = publish_to_calendars(config, plan, state.calendar, backend, confidential=confidential)
    sent = Sent(
        messages=sum(report.messages.values()),
        recipients=sorted(report.messages),
        delivered=dict(report.delivered),
        failures=[f"{f.recipient} / {f.uid}: {f.error}" for f in report.failures],
        unreachable=report.unavailable,
    )
    if report.unavailable is None:  # else the rest waits in the outbox for the next sweep
        with session_scope(state.sessions) as db:
            storage.finish_publication(db, publication_id, sent.messages, sent.failures, actor)
    return sent


def drain(state: AppState, term: str, actor: str) -> dict[int, Sent]:
    """Send every publication of the term still pending, newest per back-end (lease held).

    Each is tried once; one whose calendar server cannot be reached stays pending for the sweep.
    """
    sent: dict[int, Sent] = {}
    while True:
        with session_scope(state.sessions) as db:
            pending = [p.id for p in storage.pending_publications(db, term) if p.id not in sent]
        if not pending:
            return sent
        for publication_id in pending:
            sent[publication_id] = _send(state, publication_id, actor)


def send_now(state: AppState, term: str, actor: str, attempts: int = 3) -> dict[int, Sent]:
    """Send what the term owes, unless another sender has the lease: then it sends ours too
    (it drains the term before letting go), and the sweep catches what falls between."""
    for attempt in range(attempts):
        try:
            with sending(state, term):
                return drain(state, term, actor)
        except PublishBusy:
            if attempt + 1 < attempts:
                time.sleep(0.5 * (attempt + 1))
    return {}


def resume_pending(state: AppState) -> list[int]:
    """Finish every publication a crashed sender left pending; returns the ids finished.

    A term whose lease is held by a live sender is left to it.
    """
    with session_scope(state.sessions) as db:
        terms = sorted({p.term for p in storage.pending_publications(db)})
    finished: list[int] = []
    for term in terms:
        try:
            with sending(state, term):
                finished += drain(state, term, SWEEPER)
        except PublishBusy:
            continue
        except Exception:  # one term's trouble must not stop the others; the next sweep retries
            log.exception("resuming the publications of %s failed", term)
    return finished


@dataclass(frozen=True)
class Unsent:
    """A message a published version still owes someone: waiting in the outbox, or failed."""

    person: str
    uid: str
    action: str
    failed: bool
    error: str | None


def unsent(state: AppState, publication: Publication, plan: Plan, config: MunicipalityConfig) -> list[Unsent]:
    """What the calendars do not have yet of this version: per person and calendar item, the
    newest outbox row when it is still pending or failed for good."""
    newest: dict[tuple[str, str], Delivery] = {}
    with Ledger(state.calendar.ledger_path) as ledger:
        uids = {item.uid for item in items_from_plan(config, plan, delivered(ledger, plan.term))}
        for delivery in ledger.deliveries(publication.backend):
            if delivery.uid in uids and delivery.state != "superseded":
                newest[(delivery.recipient, delivery.uid)] = delivery
    return [
        Unsent(d.recipient, d.uid, d.action, d.state == "failed", d.last_error)
        for d in newest.values()
        if d.state in ("pending", "failed")
    ]


class OutboxSweeper:
    """Resumes pending publications at start-up and then every `outbox_sweep_seconds`."""

    def __init__(self, state: AppState):
        self.state = state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="moedeplan-outbox", daemon=True)

    def _run(self) -> None:
        every = self.state.settings.outbox_sweep_seconds
        while True:
            try:
                resume_pending(self.state)
            except Exception:
                log.exception("outbox sweep failed; retrying later")
            if not every or self._stop.wait(every):
                return

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
