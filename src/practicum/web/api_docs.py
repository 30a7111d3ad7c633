"""The API's interactive docs at /docs, served from this service alone.

FastAPI's own /docs and /redoc load Swagger UI and ReDoc from a CDN, blank on a network
without one; here Swagger UI comes from the `swagger-ui-bundle` package, mounted under
/static/swagger-ui, and ReDoc is off (/openapi.json holds the same description).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from practicum.web.pages import base_path

ASSETS = "/static/swagger-ui"


def install(app: FastAPI) -> None:
    """Mount the Swagger UI files (before /static, which would shadow them) and /docs."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = base_path(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title}: API",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # its badge is an external image
        )
