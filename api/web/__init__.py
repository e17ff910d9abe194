"""The web pages for district leaders: server-rendered Danish pages on top of the API's own functions.

`install(app)` is the one hook: it mounts the vendored static files (htmx, CSS; nothing from a
CDN) and the pages, which stay out of the OpenAPI schema. The API's JSON routes are unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from api.errors import STATUS_BY_ERROR, invalid_body, page_message, status_of
from api.web import i18n
from api.web.common import HERE, SignInRequired, WebError, error_page, page

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
"""An exception handler as Starlette keeps them."""


def _is_page(request: Request) -> bool:
    """Whether the request was answered by a page (api.web), not by a JSON route."""
    return str(getattr(request.scope.get("endpoint"), "__module__", "")).startswith("api.web.")


def install(app: FastAPI) -> None:
    from api.web import bal, export, flows, views

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(views.router)
    app.include_router(flows.router)
    app.include_router(export.router)
    app.include_router(bal.router)

    api_invalid = app.exception_handlers[RequestValidationError]

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """A page's bad parameter (an id like 2**64 or 'abc') is an error page naming the field."""
        if not _is_page(request):
            answer = api_invalid(request, exc)
            return await answer if isinstance(answer, Awaitable) else answer
        p = page(request, request.app.state.moedeplan)
        first = exc.errors()[0] if exc.errors() else {"loc": ()}
        if first["loc"][:1] == ("path",):  # a part of the address, not a field anyone filled in
            return error_page(request, 422, f"{p.t('bad_address')}.")
        body = invalid_body(exc.errors(), lang=p.lang)
        field = body.field or ""
        said = "; ".join(e.message for e in body.errors or [])
        named = f"{p.t('bad_value')} «{i18n.label(p.lang, field)}»"
        return error_page(request, 422, named + (f": {said}." if said else "."))

    def domain_error(api_answer: Handler) -> Handler:
        async def handle(request: Request, exc: Exception) -> Response:
            """A page's refusal is an error page with the API's status (`api.errors`) and message."""
            if not _is_page(request):
                answer = api_answer(request, exc)
                return await answer if isinstance(answer, Awaitable) else answer
            return error_page(request, status_of(exc), page_message(exc))

        return handle

    for error in STATUS_BY_ERROR:
        app.add_exception_handler(error, domain_error(app.exception_handlers[error]))

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        return error_page(request, exc.status, exc.message)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import quote

        from fastapi.responses import RedirectResponse

        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='')}", status_code=303)
