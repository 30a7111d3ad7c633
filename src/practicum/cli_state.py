"""Which course state a staff command works on.

`practicum up` keeps the course service's database under the hub's state folder. Staff
tools (`practicum users`, `homework`, `tokens`, `credits`, `serve --standalone`) must reach
the same database without anyone exporting a variable, so they resolve it the same way.
"""

from __future__ import annotations

import os

from practicum.service.config import ServiceConfig, load_config


def course_config() -> ServiceConfig:
    """PRACTICUM_STATE when set; else the service state of the course `practicum up` runs
    (practicum.toml if present, else its embedded defaults)."""
    if os.environ.get("PRACTICUM_STATE"):
        return load_config()
    from practicum.hub.jupyterhub_config import service_config
    from practicum.hub.settings import load_settings, settings_path

    return service_config(load_settings(settings_path()))
