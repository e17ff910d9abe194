"""/docs (Swagger UI) and /redoc served with the app's own assets: they work without internet.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, which a municipal network without
outside access (or a strict proxy) never reaches, leaving IT a blank page. The assets come from
the `fastapi-offline` package (MIT; Swagger UI under Apache-2.0, ReDoc under MIT, as shipped), so
an upgrade is a `pip install -U`, not a vendoring chore.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
"""Where the Swagger UI and ReDoc files are served (same origin as the API)."""

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"


def asset_folder() -> Path:
    """The folder of the packaged Swagger UI and ReDoc files."""
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI) -> None:
    """Mount the assets and add /docs and /redoc (outside the OpenAPI schema).

    The app must be made with ``docs_url=None, redoc_url=None`` so FastAPI adds no CDN pages.
    """
    app.mount(ASSETS, StaticFiles(directory=asset_folder()), name="docs-assets")
    title = f"{app.title} – API"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # no badge fetched from validator.swagger.io: nothing leaves the network
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
