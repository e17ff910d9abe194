"""Exceptions -> HTTP status: one table, by class, for the JSON API and the web pages alike.

The services (`api.services`) and storage raise domain exceptions; they never know about HTTP.
`STATUS_BY_ERROR` is looked up along the exception's MRO, so a subclass (`NotNewest`, `JobLost`,
`PublishBusy`) gets its parent's status unless it has its own row. An exception that is in no row
is a programming error: 500, logged, and never a traceback to the user.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from api.auth import UsersFileError
from api.db import Conflict, ImmutableRow, NotFound, NotNewest, StaleVersion
from api.schemas import ErrorBody, FieldProblem
from calendar_sync.privacy import PrivacyError
from calendar_sync.publish import PublishError
from scheduler.config import ConfigError
from scheduler.validation_da import Lang, clean_loc, problems

log = logging.getLogger("moedeplan.api")


class Refused(Exception):
    """A request the caller may correct: a Danish `detail`, and the input `field` at fault if one is."""

    def __init__(self, detail: str, field: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.problems = problems


class Forbidden(Refused):
    """The caller's role or district may not do this (-> 403)."""


class BadInput(Refused):
    """Input that is well-formed but cannot be used, e.g. an unknown person or an impossible move (-> 422)."""


class Unreachable(Refused):
    """A system we depend on (a calendar server) did not answer usefully (-> 502)."""


STATUS_BY_ERROR: dict[type[Exception], int] = {
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    ImmutableRow: 409,
    PublishError: 409,
    StaleVersion: 412,
    BadInput: 422,
    ConfigError: 422,
    PrivacyError: 422,
    Unreachable: 502,
    UsersFileError: 503,
    ValidationError: 422,
    ValueError: 422,
}
"""The status of every exception the API raises on purpose; subclasses inherit their parent's row."""

INTERNAL = 500
INVALID_INPUT_DA = "ugyldigt input"
VALUE_UNUSABLE_DA = "ugyldigt input: en af de angivne værdier kan ikke bruges; kontrollér felterne"
"""A bare ValueError's answer: its text may be a library's, so it is logged, not shown."""
USERS_FILE_UNUSABLE = "brugerfilen kan ikke bruges; kontakt kommunens IT"


def status_of(exc: BaseException) -> int:
    """The status for `exc`: the nearest class in its MRO that has a row, else 500."""
    for cls in type(exc).__mro__:
        status = STATUS_BY_ERROR.get(cls)  # type: ignore[call-overload]
        if status is not None:
            return status
    return INTERNAL


def error_body(exc: BaseException) -> ErrorBody:
    """The JSON API's Danish body for a mapped exception (the wording its clients already read)."""
    if isinstance(exc, Refused):
        return ErrorBody(detail=exc.detail, field=exc.field, problems=exc.problems)
    if isinstance(exc, ValidationError):
        return invalid_body(exc.errors())
    if isinstance(exc, ConfigError):
        return ErrorBody(detail="konfigurationen er ikke gyldig", field="yaml", problems=exc.problems)
    if isinstance(exc, NotNewest):
        return ErrorBody(detail=str(exc), field="If-Match")
    if isinstance(exc, StaleVersion):
        return ErrorBody(
            detail=f"ændret af en anden siden du hentede den; hent igen ({exc})", field="If-Match"
        )
    if isinstance(exc, NotFound):
        return ErrorBody(detail=str(exc) or "findes ikke")
    if isinstance(exc, PrivacyError):
        return ErrorBody(detail=f"ikke udsendt (tavshedspligt): {exc}")
    if isinstance(exc, PublishError):
        return ErrorBody(detail=f"ikke udsendt: {exc}")
    if isinstance(exc, UsersFileError):
        # Fail closed: nobody is let in while the users file cannot be read. The log names the
        # file and the problem (`Directory`); callers are not told where the server keeps it.
        return ErrorBody(
            detail="ingen kan logge ind lige nu: brugerfilen kan ikke bruges; kontakt kommunens IT"
        )
    if status_of(exc) == INTERNAL:
        return ErrorBody(detail="intern fejl; den er logget")
    if isinstance(exc, ValueError) and not _ours(exc):
        log.warning("input refused: %s", exc)
        return ErrorBody(detail=VALUE_UNUSABLE_DA)
    return ErrorBody(detail=str(exc), problems=getattr(exc, "problems", None))


_OUR_PACKAGES = frozenset({"api", "calendar_sync", "constraints", "scheduler"})


def _ours(exc: BaseException) -> bool:
    """A ValueError subclass of ours (its message is written for users); a bare ValueError or a
    library's (json, unicode, int()) may say anything, in English."""
    cls = type(exc)
    return cls is not ValueError and cls.__module__.split(".", 1)[0] in _OUR_PACKAGES


def invalid_body(errors: Iterable[Mapping[str, Any]], data: Any = None, lang: Lang = "da") -> ErrorBody:
    """A 422 for invalid input (a request body, a query parameter): every problem in Danish with
    the field as the caller wrote it (`scheduler.validation_da`), and each `loc` for programs."""
    errors = list(errors)
    found = problems(errors, data, lang)
    raw_loc = {clean_loc(err.get("loc", ())): list(err.get("loc", ())) for err in errors}
    lines = [f"{place}: {text}" for _, place, text in found]
    items = [
        FieldProblem(loc=raw_loc.get(loc, list(loc)), field=place.split(" (", 1)[0], message=text)
        for loc, place, text in found
    ]
    if not lines:
        return ErrorBody(detail=INVALID_INPUT_DA)
    field = items[0].field if found[0][0] else None
    return ErrorBody(detail=f"{INVALID_INPUT_DA} – {lines[0]}", field=field, problems=lines, errors=items)


def page_message(exc: BaseException) -> str:
    """What an error page says for a mapped exception: every problem, else the exception's message."""
    if isinstance(exc, UsersFileError) or status_of(exc) == INTERNAL:
        return error_body(exc).detail  # never where the server keeps its files, nor a traceback
    if isinstance(exc, ValidationError | ValueError) and not isinstance(exc, Refused | ConfigError):
        body = error_body(exc)
        return "; ".join(body.problems) if body.problems else body.detail
    listed = getattr(exc, "problems", None)
    return "; ".join(listed) if listed else str(exc)
