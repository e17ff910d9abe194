"""The HTTP API: routes by resource, roles on every route, JSON errors that name the field.

Kept thin on purpose: validation is pydantic's, planning is `scheduler`'s, delivery is
`calendar_sync`'s, persistence is `api.storage`'s. Long solves run as jobs (`api.jobs`), never
inside a request. Route modules import their dependencies from `api.deps`, so this module only
assembles the app.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Directory
from api.deps import AppState
from api.errors import STATUS_BY_ERROR, error_body, invalid_body, status_of
from api.logs import protect_logger
from api.schemas import ErrorBody
from api.settings import AppSettings

log = logging.getLogger("moedeplan.api")


def create_app(
    settings: AppSettings | None = None,
    directory: Directory | None = None,
    state: AppState | None = None,
) -> FastAPI:
    """The app; `state` lets tests share one database between an app and a worker."""
    settings = settings or AppSettings()
    protect_logger("uvicorn.access")  # feed tokens never reach the access log
    if state is None:
        if directory is None:
            directory = Directory.from_file(settings.users_file) if settings.users_file else Directory([])
        state = AppState.open(settings, directory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from api.jobs import Worker
        from api.publishing import OutboxSweeper

        worker = Worker(state.sessions, state.settings) if state.settings.run_worker else None
        if worker:
            worker.start()
        sweeper = OutboxSweeper(state)  # sends what a crashed publish left unsent
        sweeper.start()
        try:
            yield
        finally:
            sweeper.stop()
            if worker:
                worker.stop()

    app = FastAPI(
        title="moedeplan",
        description=(
            "Fælles mødestruktur: semesterplaner, kalendere og omplanlægning ved fravær. "
            "Log ind med `Authorization: Bearer <token>`; kalenderfeeds bruger deres eget token i URL'en."
        ),
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api.docs serves /docs and /redoc with the app's own assets
        redoc_url=None,
        responses={
            401: {"model": ErrorBody, "description": "ikke logget ind"},
            403: {"model": ErrorBody, "description": "rollen må ikke dette"},
            422: {"model": ErrorBody, "description": "ugyldigt input; `field` siger hvor"},
        },
    )
    app.state.moedeplan = state
    _error_handlers(app)
    from api.routes import absences, bal, calendars, configs, freebusy, health, jobs, plans, slots

    for module in (health, configs, plans, jobs, absences, slots, freebusy, calendars, bal):
        app.include_router(module.router)
    from api import docs
    from api.web import install

    docs.install(app)  # /docs and /redoc without a CDN
    install(app)  # the web pages (api/web), outside the OpenAPI schema
    return app


# --------------------------------------------------------------------------- errors


_FRAMEWORK_DA = {
    # FastAPI's own words for a body it cannot read (e.g. JSON nested too deep for the parser)
    "There was an error parsing the body": "forespørgslens indhold kunne ikke læses (ugyldig eller for dybt "
    "indlejret JSON)",
    "Not Found": "findes ikke",
    "Method Not Allowed": "metoden er ikke tilladt her",
}
"""The framework's English refusals, in the Danish users read."""


def _error(status: int, detail: str, field: str | None = None, **extra: object) -> JSONResponse:
    body = ErrorBody(detail=detail, field=field, **extra)  # type: ignore[arg-type]
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, dict):
            body = ErrorBody.model_validate(exc.detail).model_dump(exclude_none=True)
        else:
            body = {"detail": _FRAMEWORK_DA.get(str(exc.detail), str(exc.detail))}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """Every invalid field in Danish, named as the caller wrote it, with its `loc` for programs."""
        body = invalid_body(exc.errors(), data=exc.body)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        """Every exception the API raises on purpose, by the one table (`api.errors`)."""
        body = error_body(exc).model_dump(exclude_none=True)
        return JSONResponse(body, status_code=status_of(exc))

    for error in STATUS_BY_ERROR:
        app.add_exception_handler(error, domain_error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never a traceback to the caller; the log has it (without request bodies: they may hold
        # absence reasons).
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "intern fejl; den er logget")
