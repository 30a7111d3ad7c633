"""The course service's web app (FastAPI + Jinja2): `create_app()` builds it."""

from practicum.web.app import create_app

__all__ = ["create_app"]
