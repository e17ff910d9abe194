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

And one rule of scope (`going_live`, `check_scope`, `check_merge`): a district leader publishes only
their own districts' changes, and a draft made from a plan that is no longer live is laid on top of
the live plan (`scheduler.replan.merge`) instead of replacing it, or refused when it clashes.
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
from api.auth import Principal, Role
from api.db import Conflict, session_scope
from api.deps import AppState
from api.errors import Forbidden
from api.orm import ConfigVersion, PlanVersion, Publication
from calendar_sync.items import items_from_plan
from calendar_sync.ledger import Delivery, Ledger
from calendar_sync.publish import delivered, digest, prepare
from calendar_sync.publish import preview as preview_messages
from calendar_sync.publish import publish as publish_to_calendars
from scheduler.danish import join_da, when_da
from scheduler.index import index_of
from scheduler.model import Meeting, MunicipalityConfig, Plan
from scheduler.replan.diff import diff_plans
from scheduler.replan.merge import Clash, Merge, clashes, merge_onto

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


class DraftClash(Conflict):
    """A draft made from an older live plan clashes with the live plan (-> 409); nothing was
    published and the draft stays a draft. The Danish text names the people and the meetings."""


MEETINGS_NAMED = 3
"""How many meetings a refusal names before it says "og N andre"."""


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


# --------------------------------------------------------------------------- scope and clashes


@dataclass(frozen=True)
class GoingLive:
    """What publishing a version makes live: the version itself, or (`merge`) the live plan with
    the version's changes against `base`, the published plan it was made from."""

    row: PlanVersion
    plan: Plan
    live: PlanVersion | None
    base: Plan | None
    """the plan the version's changes are counted from: its published ancestor (else the live plan)"""
    merge: Merge | None = None

    @property
    def result(self) -> Plan:
        return self.merge.plan if self.merge is not None else self.plan


def based_on(db: Session, row: PlanVersion) -> PlanVersion | None:
    """The nearest published (live or superseded) ancestor of a version: the live plan a solve
    or a change of a draft started from; None for a version never derived from a published one."""
    return next((r for r in reversed(storage.lineage(db, row.id)[:-1]) if r.published_at is not None), None)


def going_live(db: Session, row: PlanVersion, plan: Plan) -> GoingLive:
    """What a publish of `row` would make live now: the version itself when it was made from the
    live plan (or never from a published one, or is live already); else the merge of its own
    changes onto the live plan, so that what another leader published since is kept."""
    live = storage.live_plan_version(db, row.term)
    if live is None or live.id == row.id:
        return GoingLive(row, plan, live, None)
    live_plan = storage.get_plan(db, live.id)[1]
    base = based_on(db, row)
    if base is None or base.id == live.id:
        return GoingLive(row, plan, live, live_plan)
    base_plan = storage.get_plan(db, base.id)[1]
    return GoingLive(row, plan, live, base_plan, merge_onto(live_plan, base_plan, plan))


def check_scope(who: Principal, config: MunicipalityConfig, going: GoingLive) -> None:
    """Refuse (`Forbidden`) a district leader's publish of a term's first plan (an administrator
    publishes it) or of a change to a meeting outside their districts (named, a few of them).
    The test of a meeting is `Principal.may_change_unit`, the same as `scheduler.replan.in_scope`."""
    if who.role == Role.admin or (going.live is not None and going.live.id == going.row.id):
        return
    term = index_of(config).term_name(going.row.term)
    if going.live is None or going.base is None:
        raise Forbidden(
            f"{who.name} må ikke udsende den første plan for {term}; en administrator udsender "
            "termens første plan. Derefter kan du udsende ændringer i dit eget distrikt."
        )
    before = {m.uid: m for m in going.base.meetings}
    after = {m.uid: m for m in going.plan.meetings}
    foreign = [
        meeting
        for change in diff_plans(going.base, going.plan)
        for meeting in [after.get(change.uid) or before[change.uid]]
        if not who.may_change_unit(config, meeting.unit)
    ]
    if foreign:
        raise Forbidden(
            f"{who.name} må ikke udsende ændringer af møder uden for sit distrikt: "
            f"{_named(foreign)}. Planlæg dit eget distrikt, så ligger de andre distrikters møder fast."
        )


_RULE_DA = {
    "no_double_booking": "er dobbeltbooket til",
    "travel_time": "kan ikke nå frem mellem",
    "one_seat_per_person": "sidder på to pladser i",
    "availability": "er ikke til rådighed til",
    "rooms": "har intet ledigt lokale til",
    "max_meetings_per_week": "får for mange møder på en uge med",
}


def check_merge(config: MunicipalityConfig, going: GoingLive) -> None:
    """Refuse (`DraftClash`, 409) a merge that would change a meeting the live plan changed too, or
    that breaks a hard rule on a meeting the draft changed (a shared specialist double-booked,
    no time to travel): checked by the independent verifier against the draft's config."""
    merge = going.merge
    if merge is None or going.live is None:
        return
    again = "Intet er udsendt, og udkastet er gemt; planlæg igen oven på den gældende plan."
    head = (
        f"Udkastet (plan {going.row.id}) blev lavet ud fra en ældre plan end den gældende "
        f"(plan {going.live.id}) og passer ikke oven på den"
    )
    if merge.contested:
        both = [m for m in merge.plan.meetings if m.uid in merge.contested]
        raise DraftClash(f"{head}: begge har ændret {_named(both)}. {again}")
    found = clashes(config, merge)
    if found:
        said = "; ".join(dict.fromkeys(_clash_da(config, c) for c in found[:MEETINGS_NAMED]))
        more = f" (og {len(found) - MEETINGS_NAMED} andre sammenstød)" if len(found) > MEETINGS_NAMED else ""
        raise DraftClash(f"{head}: {said}{more}. {again}")


def _clash_da(config: MunicipalityConfig, clash: Clash) -> str:
    names = [index_of(config).person_name(p) for p in clash.people]
    what = _RULE_DA.get(clash.rule, f"bryder reglen {clash.rule} i")
    who = join_da(names) if names else "planen"
    return f"{who} {what} {join_da([_label(m) for m in clash.meetings])}"


def _label(meeting: Meeting) -> str:
    return f"«{meeting.title}» {when_da(meeting.start)}"


def _named(meetings: list[Meeting]) -> str:
    """A few meetings by title and date, then "og N andre"."""
    shown = [_label(m) for m in meetings[:MEETINGS_NAMED]]
    rest = len(meetings) - len(shown)
    return join_da([*shown, f"{rest} andre"]) if rest else join_da(shown)


def store_merge(
    db: Session, going: GoingLive, config_version: ConfigVersion, actor: str, reason: str
) -> PlanVersion:
    """The merge as a new version, a change of the live plan (so a concurrent change of the live
    plan still gets 412); the draft it came from is used up: discarded, naming the new version.
    Returns the version to publish (the draft itself when there is nothing to merge)."""
    if going.merge is None or going.live is None:
        return going.row
    merged = storage.save_plan_version(
        db, config_version, going.merge.plan, going.live, actor, reason, change=True
    )
    storage.discard_plan_version(
        db, going.row.id, actor, f"udsendt oven på plan {going.live.id} som plan {merged.id}"
    )
    return merged


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
