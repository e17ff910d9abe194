"""The `moedeplan` command line. Integrations rely on its commands and exit codes; keep them stable.

Exit codes: 0 success; 1 a plan breaks a rule (verify), or an internal error; 2 bad input (config,
plan file, arguments); 3 no plan exists (the explanation says why); 4 (plan, replan) a plan was
written, but some meetings could not be placed (listed with their reasons).
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, ValidationError

from api.summary import render_summary
from scheduler.bal_rollout import RolloutOptions, plan_rollout
from scheduler.config import ConfigError, load_config
from scheduler.danish import distance_da, number_da
from scheduler.model import PLANNED, BalRollout, MunicipalityConfig, Plan, PlanStatus
from scheduler.solve import PlanVerificationError, Progress, SolveOptions, solve
from scheduler.validation_da import messages_da

if TYPE_CHECKING:
    from api.auth import UsersFile
    from api.settings import AppSettings
    from calendar_sync.sync import SyncReport
    from scheduler.slots import SlotRequest

EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2
EXIT_NO_PLAN = 3
EXIT_PARTIAL = 4
"""`plan`, `replan`: a plan was written, but some meetings could not be placed (listed, with reasons)"""

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="moedeplan: plan Fælles mødestruktur – validate, plan and verify semester plans.",
)


def _load(config_path: Path) -> MunicipalityConfig:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        typer.echo(f"Fejl i konfigurationen {config_path} ({len(exc.problems)}):", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _load_plan(plan_path: Path) -> Plan:
    try:
        return Plan.model_validate_json(plan_path.read_bytes())
    except FileNotFoundError:
        typer.echo(f"{plan_path}: filen findes ikke", err=True)
    except ValidationError as exc:
        typer.echo(f"{plan_path} er ikke en plan.json fra moedeplan:", err=True)
        for problem in messages_da(exc)[:20]:
            typer.echo(f"  {problem}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _write_calendars(cfg: MunicipalityConfig, the_plan: Plan, out: Path) -> list[Path]:
    """ICS files, or exit 2 naming the meeting and field the privacy guard stopped."""
    from calendar_sync.ics import write_calendars
    from calendar_sync.privacy import PrivacyError

    try:
        return write_calendars(cfg, the_plan, out)
    except (PrivacyError, ValueError) as exc:
        typer.echo(f"Ingen kalenderfiler skrevet: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.command()
def validate(config: Annotated[Path, typer.Argument(help="municipality config (YAML)")]) -> None:
    """Check a config; exit 0 if it is valid, 2 with every problem listed if not."""
    cfg = _load(config)
    typer.echo(
        f"Konfigurationen er gyldig: {len(cfg.districts)} distrikter, {len(cfg.units)} enheder, "
        f"{len(cfg.staff)} personer, {len(cfg.series)} mødeserier, {len(cfg.terms)} terminer."
    )


def progress_text(progress: Progress) -> str:
    """The progress line: the plan found, its objective, how far at most from the best possible
    (where the solver knows a bound; a running solve's plan is FEASIBLE) and the time."""
    distance = distance_da("FEASIBLE", progress.objective, progress.best_bound)
    return (
        f"  løser … plan nr. {progress.solutions}: mål {progress.objective:.0f}"
        + (f", {distance}" if distance else "")
        + f", {number_da(progress.elapsed)} s"
    )


class _ProgressLine:
    """One line on stderr, rewritten as better plans arrive (only on a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last: Progress | None = None

    def __call__(self, progress: Progress) -> None:
        self.last = progress
        text = progress_text(progress)
        if self.tty:
            sys.stderr.write("\r" + text.ljust(78))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.tty and self.last:
            sys.stderr.write("\n")


@app.command()
def plan(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML)")],
    term: Annotated[str | None, typer.Option(help="term id; default the first term")] = None,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("out"),
    time_limit: Annotated[float | None, typer.Option(min=0.1, help="seconds")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64)] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
    deterministic: Annotated[
        bool | None,
        typer.Option(
            "--deterministic/--no-deterministic",
            help="the same plan on every run: the time limit buys a fixed amount of work "
            "(default: planning.deterministic)",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress line and no summary")] = False,
    busy: Annotated[Path | None, typer.Option(help="BUSY.yaml from `moedeplan freebusy`")] = None,
) -> None:
    """Plan a term: writes OUT/plan.json and ICS files; exit 3 (with the reason) if no plan exists,
    exit 4 if some meetings could not be placed (the plan of the rest is written, the missing
    meetings are listed with their reasons)."""
    cfg = _load(config) if busy is None else _with_busy(_load(config), busy)
    if term is not None and term not in {t.id for t in cfg.terms}:
        typer.echo(f"--term: ukendt termin '{term}' (findes: {', '.join(t.id for t in cfg.terms)})", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    line = _ProgressLine()
    try:
        result = solve(
            cfg,
            term,
            SolveOptions(time_limit=time_limit, workers=workers, seed=seed, deterministic=deterministic),
            progress=None if quiet else line,
        )
    except PlanVerificationError as exc:
        line.done()
        typer.echo(f"Intern fejl: løsningen bryder en regel (rapportér venligst):\n{exc}", err=True)
        raise typer.Exit(EXIT_VIOLATIONS) from None
    line.done()
    _write_plan(cfg, result, out, quiet)


def _write_plan(cfg: MunicipalityConfig, result: Plan, out: Path, quiet: bool) -> None:
    """OUT/plan.json, then the ICS files and the summary; exit 3 when there is no plan, exit 4
    when some meetings are missing (listed on stderr with their reasons)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")
    if result.status not in PLANNED:
        typer.echo("\n".join(result.explanation), err=True)
        raise typer.Exit(EXIT_NO_PLAN)
    files = _write_calendars(cfg, result, out)
    if not quiet:
        typer.echo(render_summary(cfg, result))
        typer.echo(f"\nSkrevet: {out / 'plan.json'} og {len(files)} kalenderfiler i {out / 'ics'}")
    if result.status == PlanStatus.PARTIAL:
        typer.echo("\n".join(result.explanation), err=True)
        raise typer.Exit(EXIT_PARTIAL)
    if result.explanation:  # a complete plan with a remark (the first plan, not improved in time)
        typer.echo("\n".join(result.explanation), err=True)


@app.command()
def replan(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML), e.g. with a new absence")],
    live_plan: Annotated[Path, typer.Argument(metavar="PLAN.json", help="the plan people have now")],
    out: Annotated[Path, typer.Option(help="output folder")] = Path("out"),
    now: Annotated[
        str | None, typer.Option(help="ISO time with offset: what has begun is kept; default now")
    ] = None,
    time_limit: Annotated[float, typer.Option(min=0.1, help="seconds")] = 10.0,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 2,
    quiet: Annotated[bool, typer.Option(help="no summary")] = False,
) -> None:
    """Replan a term from its current plan with the least change (meetings begun, and the times
    inside the notice period, are kept): writes OUT/plan.json and ICS files like `plan`, with the
    change against PLAN.json in the summary's stats; exit 3 if no plan exists, exit 4 if some
    meetings cannot be kept (the rest is written, the missing ones listed with their reasons)."""
    from datetime import datetime

    from scheduler.replan import replan as replan_plan
    from scheduler.term_dates import TZ

    cfg = _load(config)
    current = _load_plan(live_plan)
    if current.term not in {t.id for t in cfg.terms}:
        typer.echo(f"{live_plan}: terminen '{current.term}' findes ikke i {config}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        moment = datetime.fromisoformat(now) if now is not None else datetime.now(TZ)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        typer.echo(f"--now: '{now}' er ikke et tidspunkt med tidszone (fx 2027-03-01T08:00+01:00)", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        result = replan_plan(cfg, current, now=moment, time_limit=time_limit, workers=workers)
    except PlanVerificationError as exc:
        typer.echo(f"Intern fejl: løsningen bryder en regel (rapportér venligst):\n{exc}", err=True)
        raise typer.Exit(EXIT_VIOLATIONS) from None
    _write_plan(cfg, result, out, quiet)


@app.command()
def verify(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML)")],
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json", help="a plan.json")],
) -> None:
    """Re-check a plan with the independent verifier; exit 0 only when no rule is broken."""
    from scheduler.explain import rule_title_da
    from scheduler.verify import verify_saved_plan

    cfg = _load(config)
    the_plan = _load_plan(plan_file)
    if the_plan.term not in {t.id for t in cfg.terms}:
        typer.echo(f"{plan_file}: terminen '{the_plan.term}' findes ikke i {config}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    violations = verify_saved_plan(cfg, the_plan)
    for v in violations:
        typer.echo(f"«{rule_title_da(v.rule)}»: {v.message}")
    if violations:
        typer.echo(f"{len(violations)} regelbrud i {plan_file}.", err=True)
        raise typer.Exit(EXIT_VIOLATIONS)
    missing = f"; {len(the_plan.unplaced)} kunne ikke placeres og er listet" if the_plan.unplaced else ""
    typer.echo(f"Planen overholder alle regler ({len(the_plan.meetings)} møder{missing}).")


@app.command("export-ics")
def export_ics(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML)")],
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json")],
    out: Annotated[Path, typer.Option(help="output folder")] = Path("out"),
) -> None:
    """Write ICS files per person, unit and district for an existing plan."""
    cfg = _load(config)
    files = _write_calendars(cfg, _load_plan(plan_file), out)
    typer.echo(f"Skrevet {len(files)} kalenderfiler i {out / 'ics'}")


@app.command()
def publish(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML)")],
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json")],
    backend: Annotated[
        str | None,
        typer.Option(
            help="ics, email, caldav, exchange_ews or exchange_graph; default $MOEDEPLAN_CALENDAR_BACKEND"
        ),
    ] = None,
) -> None:
    """Send the plan to calendars; only what changed since the last publish is sent.

    Settings come from the environment (MOEDEPLAN_SMTP_HOST, MOEDEPLAN_CALDAV_URL, …, and
    MOEDEPLAN_LEDGER_PATH for the sync ledger); secrets are never printed.
    """
    from calendar_sync.privacy import PrivacyError
    from calendar_sync.publish import PublishError
    from calendar_sync.publish import publish as publish_plan
    from calendar_sync.settings import CalendarSettings

    cfg = _load(config)
    the_plan = _load_plan(plan_file)
    try:
        report = publish_plan(cfg, the_plan, CalendarSettings(), backend)
    except (PublishError, PrivacyError, ValueError) as exc:
        typer.echo(f"Ikke udsendt: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    sent = sum(report.messages.values())
    typer.echo(
        f"Udsendt: {sent} beskeder til {len(report.messages)} personer "
        f"({', '.join(f'{k} {v}' for k, v in sorted(report.delivered.items())) or 'ingen ændringer'})."
    )
    _report_failures(report)


def _report_failures(report: SyncReport) -> None:
    """Each failed delivery on stderr (and what was left for the next run); exit 1 if any."""
    for failure in report.failures:
        typer.echo(f"  fejl: {failure.recipient} / {failure.uid}: {failure.error}", err=True)
    if report.unavailable is not None:
        typer.echo(f"  {report.unsent} beskeder venter i udbakken til næste udsendelse.", err=True)
    if report.failures:
        raise typer.Exit(EXIT_VIOLATIONS)


def _with_busy(cfg: MunicipalityConfig, busy_file: Path) -> MunicipalityConfig:
    """The config with the busy times of BUSY.yaml as absences, or exit 2."""
    import yaml

    from calendar_sync.freebusy import apply_busy, load_busy
    from scheduler.config import yaml_problem

    try:
        return apply_busy(cfg, load_busy(busy_file))
    except FileNotFoundError:
        typer.echo(f"--busy: {busy_file}: filen findes ikke", err=True)
    except OSError:
        typer.echo(f"--busy: {busy_file}: filen kan ikke læses", err=True)
    except yaml.YAMLError as exc:
        typer.echo(f"--busy: {yaml_problem(str(busy_file), exc)}", err=True)
    except ValueError as exc:
        typer.echo(f"--busy: {exc}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def freebusy(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML)")],
    term: Annotated[str, typer.Option(help="term id")],
    backend: Annotated[
        str | None, typer.Option(help="exchange_ews or exchange_graph; default $MOEDEPLAN_CALENDAR_BACKEND")
    ] = None,
    out: Annotated[Path, typer.Option(help="where to write the busy times")] = Path("out/busy.yaml"),
    published: Annotated[
        Path | None, typer.Option("--plan", help="the published plan.json, whose meetings are not busy")
    ] = None,
) -> None:
    """Read everyone's busy times for a term from Exchange into BUSY.yaml (`plan --busy` takes it).

    Settings come from the environment (MOEDEPLAN_EWS_… or MOEDEPLAN_GRAPH_…); only times are
    written, never subjects. Exit 0 written, 1 Exchange could not be read, 2 bad input.
    """
    from calendar_sync.backends.base import DeliveryError
    from calendar_sync.freebusy import read_busy, save_busy
    from calendar_sync.items import items_from_plan
    from calendar_sync.settings import CalendarSettings

    cfg = _load(config)
    if term not in {t.id for t in cfg.terms}:
        typer.echo(f"--term: ukendt termin '{term}' (findes: {', '.join(t.id for t in cfg.terms)})", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    settings = CalendarSettings()
    backend = backend or settings.calendar_backend
    try:
        own = items_from_plan(cfg, _load_plan(published)) if published is not None else []
        busy = read_busy(cfg, term, settings, backend, own=own)
    except ValueError as exc:
        typer.echo(f"Ikke læst: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (DeliveryError, OSError) as exc:
        typer.echo(f"Kunne ikke læse ledig/optaget fra Exchange: {exc}", err=True)
        raise typer.Exit(EXIT_VIOLATIONS) from None
    except Exception as exc:  # exchangelib's own errors: name them, never a secret
        typer.echo(f"Kunne ikke læse ledig/optaget fra Exchange: {type(exc).__name__}", err=True)
        raise typer.Exit(EXIT_VIOLATIONS) from None
    save_busy(out, term, backend, busy)
    blocks = sum(len(b) for b in busy.values())
    typer.echo(f"Skrevet {out}: {blocks} optagede tidsrum for {sum(1 for b in busy.values() if b)} personer.")


def _app_settings(**overrides: object) -> AppSettings:
    """The service's settings from the environment, or exit 2 naming each bad setting.

    Only pydantic's messages are shown, never the input: the database URL may hold a password.
    """
    from api.settings import AppSettings

    try:
        return AppSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        typer.echo("Ugyldige indstillinger:", err=True)
        for error in exc.errors():
            field = ".".join(map(str, error["loc"]))
            name = f"MOEDEPLAN_{field.upper()}" if field else "indstillingerne"
            message = error["msg"].removeprefix("Value error, ")
            typer.echo(f"  {message if message.startswith(name) else f'{name}: {message}'}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    worker: Annotated[bool, typer.Option(help="run solve jobs in this process too")] = True,
) -> None:
    """Run the API (and, by default, a job worker) on the database in MOEDEPLAN_DATABASE_URL.

    With nothing set it uses the SQLite file moedeplan.sqlite3 here. OpenAPI docs at /docs.
    Refuses to start (exit 2) with an empty or short MOEDEPLAN_FEED_SECRET or
    MOEDEPLAN_SESSION_SECRET, or a users file it cannot read. Log lines never show feed tokens.
    """
    import uvicorn

    from api.app import create_app
    from api.logs import log_config
    from api.settings import SettingsError

    settings = _app_settings(run_worker=worker)
    if "public_url" not in settings.model_fields_set:  # links at least reach this server
        reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
        settings = _app_settings(run_worker=worker, public_url=f"http://{reachable}:{port}")
        typer.echo(
            f"MOEDEPLAN_PUBLIC_URL er ikke sat: kalenderlinks bygges på {settings.public_url}; "
            "sæt den til den adresse, folk når tjenesten på.",
            err=True,
        )
    if settings.users_file is None:
        typer.echo(
            "Ingen brugere: sæt MOEDEPLAN_USERS_FILE og opret brugere med `moedeplan user-add`.", err=True
        )
    try:
        application = create_app(settings)
    except SettingsError as exc:
        typer.echo(f"Kan ikke starte: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(f"moedeplan på http://{host}:{port} (database {settings.safe_database_url})")
    uvicorn.run(application, host=host, port=port, log_level="info", log_config=log_config())


@app.command()
def worker() -> None:
    """Run solve jobs from the shared database until stopped (start as many as wanted).

    On PostgreSQL (MOEDEPLAN_JOB_QUEUE=procrastinate, the default there) this is a procrastinate
    worker; with MOEDEPLAN_JOB_QUEUE=embedded it polls the jobs table. SIGTERM or Ctrl-C stops
    it after the solve in hand.
    """
    import logging

    from api.db import make_session_factory, migrate
    from api.jobs import Worker, run_queue_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = _app_settings()
    queue = settings.job_queue == "procrastinate"
    migrate(settings.database_url, job_queue=queue)
    typer.echo(f"worker ({settings.job_queue}) på {settings.safe_database_url}")
    sessions = make_session_factory(settings.database_url)
    with contextlib.suppress(KeyboardInterrupt):
        if queue:
            run_queue_worker(settings, sessions)
        else:
            Worker(sessions, settings).run_forever()


def _read_users(users_file: Path) -> UsersFile:
    """The users file for editing (an absent file is an empty list), or exit 2 saying why."""
    from api.auth import UsersFile, UsersFileError, read_users_file

    if not users_file.exists():
        return UsersFile(users=[])
    try:
        return UsersFile(users=read_users_file(users_file))
    except UsersFileError as exc:
        typer.echo(f"Ugyldigt: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _write_users(users_file: Path, users: UsersFile) -> None:
    """Replace the file in one step (0600): a running server never reads half of it."""
    import os
    import tempfile

    import yaml

    users_file.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(users.model_dump(mode="json"), allow_unicode=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{users_file.name}.", dir=users_file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, users_file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@app.command("user-add")
def user_add(
    users_file: Annotated[Path, typer.Argument(help="the users file (MOEDEPLAN_USERS_FILE)")],
    name: Annotated[str, typer.Argument(help="who (shown in the audit log); unique")],
    role: Annotated[str, typer.Option(help="admin, distriktsleder, staff or service")],
    person: Annotated[str | None, typer.Option(help="staff: their person id")] = None,
    district: Annotated[list[str] | None, typer.Option(help="distriktsleder: a district id (repeat)")] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="check --person and --district against this config "
            "(default: the newest config uploaded to the database in MOEDEPLAN_DATABASE_URL)"
        ),
    ] = None,
) -> None:
    """Add a user and print their new token once; the file keeps only its SHA-256.

    --person and --district must exist in the config (--config, or else the newest uploaded
    one); an unknown id is refused (exit 2) with the nearest known one. A running server sees
    the new user at once (it re-reads the file when it changes).
    """
    import secrets

    from api.auth import Role, UserEntry, UsersFile, token_hash

    users = _read_users(users_file)
    try:
        token = secrets.token_urlsafe(32)
        entry = UserEntry(
            name=name,
            role=Role(role),
            token_sha256=token_hash(token),
            person=person,
            districts=district or [],
        )
        users = UsersFile(users=[*users.users, entry])
    except (ValueError, ValidationError) as exc:
        typer.echo(f"Ugyldigt: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if entry.person is not None or entry.districts:
        problems = _unknown_in_config(_config_for_users(config), entry.person, entry.districts)
        if problems:
            for problem in problems:
                typer.echo(f"Ugyldigt: {problem}", err=True)
            typer.echo(f"Brugeren er ikke oprettet; {users_file} er uændret.", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
    _write_users(users_file, users)
    typer.echo(token)


def _config_for_users(config_path: Path | None) -> tuple[MunicipalityConfig, str]:
    """The config that people and districts of a new user are checked against, and its name:
    the given file, else the newest one uploaded to the service's database; exit 2 with neither."""
    if config_path is not None:
        return _load(config_path), str(config_path)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from api import storage
    from api.db import current_revision, make_engine
    from scheduler.config import parse_config

    settings = _app_settings()
    url = make_url(settings.database_url)
    missing = url.get_backend_name() == "sqlite" and not Path(url.database or ":memory:").exists()
    if not missing:
        engine = make_engine(settings.database_url)
        try:
            if current_revision(engine) is not None:
                with Session(engine) as db:
                    latest = storage.latest_config(db)
                    if latest is not None:
                        return parse_config(latest.yaml, source=latest.name), f"{latest.name} (databasen)"
        except SQLAlchemyError as exc:
            typer.echo(
                f"Databasen {settings.safe_database_url} (MOEDEPLAN_DATABASE_URL) kan ikke læses "
                f"({type(exc).__name__}); giv --config KONFIG.yaml",
                err=True,
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except ConfigError:
            typer.echo(
                "Den nyeste konfiguration i databasen er ikke gyldig; giv --config KONFIG.yaml", err=True
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None
        finally:
            engine.dispose()
    typer.echo(
        f"--person og --district kan ikke tjekkes: der er ingen konfiguration i databasen "
        f"{settings.safe_database_url} (MOEDEPLAN_DATABASE_URL). Upload den først, eller giv "
        "--config KONFIG.yaml",
        err=True,
    )
    raise typer.Exit(EXIT_BAD_INPUT)


def _unknown_in_config(
    found: tuple[MunicipalityConfig, str], person: str | None, districts: list[str]
) -> list[str]:
    """'ukendt person …' and 'ukendt distrikt …' in Danish, each with the nearest known id."""
    from scheduler.config import closest_name

    cfg, source = found
    problems: list[str] = []
    people = {p.id: p.name for p in cfg.staff}
    if person is not None and person not in people:
        by_name = [pid for pid, full in people.items() if full.casefold() == person.casefold()]
        near = by_name[0] if by_name else closest_name(person, people)
        hint = f" (mente du '{near}', {people[near]}?)" if near else ""
        problems.append(f"--person: ukendt person '{person}' i konfigurationen {source}{hint}")
    known = {d.id: d.name for d in cfg.districts}
    for wanted in districts:
        if wanted not in known:
            by_name = [did for did, full in known.items() if full.casefold() == wanted.casefold()]
            near = by_name[0] if by_name else closest_name(wanted, known)
            hint = f" (mente du '{near}'?)" if near else f" (distrikterne er: {', '.join(sorted(known))})"
            problems.append(f"--district: ukendt distrikt '{wanted}' i konfigurationen {source}{hint}")
    return problems


@app.command("user-remove")
def user_remove(
    users_file: Annotated[Path, typer.Argument(help="the users file (MOEDEPLAN_USERS_FILE)")],
    name: Annotated[str, typer.Argument(help="the user's name, as user-add was given it")],
) -> None:
    """Remove a user: a running server refuses their token, web sessions and feed links at once."""
    from api.auth import UsersFile

    users = _read_users(users_file)
    kept = [u for u in users.users if u.name != name]
    if len(kept) == len(users.users):
        known = ", ".join(u.name for u in users.users) or "ingen"
        typer.echo(f"Ingen bruger hedder '{name}' i {users_file} (brugere: {known})", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    _write_users(users_file, UsersFile(users=kept))
    typer.echo(f"Fjernet: {name}. Token, log-ind på siderne og kalenderlinks virker ikke længere.")


@app.command("feed-revoke")
def feed_revoke(
    person: Annotated[str | None, typer.Option(help="the links to this person's feed")] = None,
    unit: Annotated[str | None, typer.Option(help="the links to this unit's feed")] = None,
    district: Annotated[str | None, typer.Option(help="the links to this district's feed")] = None,
    user: Annotated[str | None, typer.Option(help="the links issued to this user (by name)")] = None,
    reason: Annotated[str, typer.Option(help="why (kept in the audit log)")] = "",
) -> None:
    """Stop calendar feed links from working, now: one feed's, or one user's (or both: theirs to it).

    Works on the database in MOEDEPLAN_DATABASE_URL; every link revoked is in the audit log.
    Asking for the link again (the API's /link, the Udsend page) issues a new one.
    """
    import getpass

    from api import feed_tokens
    from api.db import make_session_factory, migrate, session_scope

    feeds = [
        (kind, value) for kind, value in (("person", person), ("unit", unit), ("district", district)) if value
    ]
    if len(feeds) > 1 or (not feeds and user is None):
        typer.echo("Angiv én kalender (--person, --unit eller --district) og/eller --user.", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    settings = _app_settings()
    migrate(settings.database_url)
    kind, reader_id = feeds[0] if feeds else (None, None)
    actor = f"kommandolinje ({getpass.getuser()})"
    with session_scope(make_session_factory(settings.database_url)) as db:
        rows = feed_tokens.revoke(db, actor, kind=kind, reader_id=reader_id, issued_to=user, reason=reason)
        revoked = [f"{r.kind}/{r.reader_id} (udstedt til {r.issued_to})" for r in rows]
    if not revoked:
        typer.echo("Ingen aktive kalenderlinks passer; intet ændret.")
        return
    typer.echo(f"Tilbagekaldt {len(revoked)} kalenderlink(s):")
    for line in revoked:
        typer.echo(f"  {line}")


@app.command()
def schema(
    which: Annotated[str, typer.Argument(help="'config' or 'plan'")] = "plan",
) -> None:
    """Print the JSON Schema of the config or of plan.json."""
    models: dict[str, type[BaseModel]] = {"config": MunicipalityConfig, "plan": Plan}
    if which not in models:
        typer.echo("choose 'config' or 'plan'", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(json.dumps(models[which].model_json_schema(), indent=2, ensure_ascii=False))


# ------------------------------------------------------------- one-off meetings and slots


def _load_request(request_path: Path, cfg: MunicipalityConfig) -> SlotRequest:
    from scheduler.slots import RequestError, load_request

    try:
        return load_request(request_path, cfg)
    except RequestError as exc:
        typer.echo(f"Fejl i forespørgslen {request_path} ({len(exc.problems)}):", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.command("find-slots")
def find_slots_command(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML)")],
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json", help="the published plan")],
    request_file: Annotated[Path, typer.Argument(metavar="REQUEST.yaml", help="who, how long, where, when")],
    top: Annotated[int, typer.Option(min=1, max=50, help="how many proposals")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Best times for a Familiemøde or follow-up around the plan; exit 3 (with the reason) if none."""
    from scheduler.slots import find_slots, format_slots_da

    cfg = _load(config)
    the_plan = _load_plan(plan_file)
    request = _load_request(request_file, cfg)
    result = find_slots(cfg, the_plan, request, top=top)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        typer.echo(format_slots_da(cfg, request, result), err=not result.slots)
    if not result.slots:
        raise typer.Exit(EXIT_NO_PLAN)


@app.command()
def book(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML)")],
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json", help="the published plan")],
    request_file: Annotated[Path, typer.Argument(metavar="REQUEST.yaml")],
    slot: Annotated[int, typer.Option(min=1, help="the proposal's number from find-slots")] = 1,
    top: Annotated[int, typer.Option(min=1, max=50, help="as given to find-slots")] = 5,
    out: Annotated[Path, typer.Option(help="the new plan.json")] = Path("plan-booked.json"),
    publish_: Annotated[bool, typer.Option("--publish", help="send invitations for the new plan")] = False,
    backend: Annotated[str | None, typer.Option(help="ics, email or caldav (with --publish)")] = None,
) -> None:
    """Book proposal N into a new plan (verified); with --publish, send the invitations."""
    from scheduler.slots import BookingError, find_and_book

    cfg = _load(config)
    the_plan = _load_plan(plan_file)
    request = _load_request(request_file, cfg)
    try:
        new_plan, chosen = find_and_book(cfg, the_plan, request, slot, top=top)
    except BookingError as exc:
        typer.echo(f"Ikke booket: {exc}", err=True)
        raise typer.Exit(EXIT_NO_PLAN) from None
    out.write_text(new_plan.model_dump_json(indent=2), encoding="utf-8")
    first = chosen.meetings[0].start.strftime("%Y-%m-%d %H:%M")
    typer.echo(f"Booket: {len(chosen.meetings)} møde(r) fra {first}; ny plan skrevet til {out}")
    if publish_:
        from calendar_sync.privacy import PrivacyError
        from calendar_sync.publish import PublishError
        from calendar_sync.publish import publish as publish_plan
        from calendar_sync.settings import CalendarSettings

        try:
            report = publish_plan(cfg, new_plan, CalendarSettings(), backend)
        except (PublishError, PrivacyError, ValueError) as exc:
            typer.echo(f"Ikke udsendt: {exc}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        typer.echo(f"Udsendt: {sum(report.messages.values())} beskeder til {len(report.messages)} personer.")
        _report_failures(report)


# --------------------------------------------------------------------------- BAL rollout


def _load_bal(config_path: Path) -> MunicipalityConfig:
    """The config, which must have a `bal:` section; exit 2 in Danish otherwise."""
    cfg = _load(config_path)
    if cfg.bal is None:
        typer.echo(f"{config_path}: konfigurationen har ingen bal:-sektion (BAL-forløbet)", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    return cfg


def _rollout_options(time_limit: float | None, workers: int | None, seed: int | None) -> RolloutOptions:
    return RolloutOptions(time_limit=time_limit, workers=workers, seed=seed, deterministic=True)


def _solved_rollout(cfg: MunicipalityConfig, options: RolloutOptions) -> BalRollout:
    """The rollout, or exit 3 with the reason when there is none."""
    rollout = plan_rollout(cfg, options)
    if rollout.status not in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
        for line in rollout.explanation:
            typer.echo(line, err=True)
        raise typer.Exit(EXIT_NO_PLAN)
    return rollout


@app.command("bal-rollout")
def bal_rollout(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML) with a bal: section")],
    out: Annotated[Path | None, typer.Option(help="write the rollout here (JSON)")] = None,
    time_limit: Annotated[float | None, typer.Option(min=0.1, help="seconds (work units)")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64)] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
) -> None:
    """Plan the BAL rollout: each team's round, facilitator and course group; prints the rounds,
    teams per round and the facilitators' hours. Exit 0, 2 bad input, 3 no rollout."""
    from api.bal_summary import rollout_lines

    cfg = _load_bal(config)
    rollout = _solved_rollout(cfg, _rollout_options(time_limit, workers, seed))
    for line in rollout_lines(cfg, rollout):
        typer.echo(line)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(rollout.model_dump_json(indent=2), encoding="utf-8")
        typer.echo(f"Udrulningen er skrevet til {out}")


def _counts(text: str, available: int) -> list[int]:
    """'4,6,8' as [4, 6, 8], each between 1 and the facilitators there are; exit 2 otherwise."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or any(k < 1 for k in counts):
        typer.echo(f"--facilitators: '{text}' skal være hele tal over 0 adskilt af komma, fx 4,6,8", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    too_many = [k for k in counts if k > available]
    if too_many:
        typer.echo(
            f"--facilitators: {too_many[0]} er flere end de {available} facilitatorer i konfigurationen",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    return list(dict.fromkeys(counts))


@app.command("bal-whatif")
def bal_whatif(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML) with a bal: section")],
    facilitators: Annotated[str, typer.Option(help="how many facilitators to try, e.g. 4,6,8 (the first K)")],
    hours: Annotated[
        float | None, typer.Option(min=0.1, max=37, help="hours a week each gives BAL; default their own")
    ] = None,
    structure_cost: Annotated[
        bool,
        typer.Option(
            "--structure-cost/--no-structure-cost",
            help="also plan the first BAL term without and with each K's round: meetings moved, "
            "regularity, the busiest facilitator's minutes a week (one solve without BAL, two per K)",
        ),
    ] = True,
    time_limit: Annotated[
        float | None,
        typer.Option(min=0.1, help="seconds (work units) per solve: each rollout, each term plan"),
    ] = 10.0,
    workers: Annotated[int | None, typer.Option(min=1, max=64)] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
) -> None:
    """With the first K facilitators (at H hours a week each): teams through per round for each K,
    when all are through, a chart, and what each K costs the meeting structure. Exit 0, 2 bad input."""
    from api.bal_summary import whatif_lines
    from scheduler.bal_facts import programme
    from scheduler.bal_whatif import WhatIfOptions, what_if

    cfg = _load_bal(config)
    counts = _counts(facilitators, len(programme(cfg).facilitators))
    options = WhatIfOptions(
        time_limit=time_limit, workers=workers, seed=seed, with_structure_cost=structure_cost
    )
    try:
        rows = what_if(cfg, counts, hours, options)
    except ConfigError as exc:  # a generated BAL series the config cannot plan
        typer.echo(f"BAL-møderne kan ikke planlægges i {config} ({len(exc.problems)}):", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for line in whatif_lines(cfg, rows, hours):
        typer.echo(line)


@app.command("bal-why")
def bal_why(
    config: Annotated[Path, typer.Argument(help="municipality config (YAML) with a bal: section")],
    team: Annotated[str, typer.Argument(help="the team's id")],
    rollout_file: Annotated[
        Path | None, typer.Option("--rollout", help="a rollout.json from bal-rollout; default: plan one")
    ] = None,
    time_limit: Annotated[float | None, typer.Option(min=0.1, help="seconds (work units) per solve")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64)] = None,
    seed: Annotated[int | None, typer.Option(min=0)] = None,
) -> None:
    """Why the team waits until its round, in Danish. Exit 0, 2 bad input, 3 no rollout."""
    from scheduler.bal_why import UnknownTeam, find_team, why_round

    cfg = _load_bal(config)
    try:
        find_team(cfg, team)
    except UnknownTeam as exc:
        typer.echo(f"TEAM: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    options = _rollout_options(time_limit, workers, seed)
    rollout = _read_rollout(rollout_file) if rollout_file is not None else _solved_rollout(cfg, options)
    for line in why_round(cfg, rollout, team, options):
        typer.echo(line)


def _read_rollout(path: Path) -> BalRollout:
    try:
        return BalRollout.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        typer.echo(f"{path}: filen findes ikke", err=True)
    except ValidationError as exc:
        typer.echo(f"{path} er ikke en rollout.json fra moedeplan bal-rollout:", err=True)
        for problem in messages_da(exc)[:20]:
            typer.echo(f"  {problem}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
