"""`python -m practicum.cli ...`: how the hub starts the course service."""

from practicum.cli import app

app()
