"""Practicum: a self-hosted, hands-on deep learning course."""

from practicum.client import report_exercise, submit
from practicum.data import load

__version__ = "0.1.0"

__all__ = ["__version__", "load", "report_exercise", "submit"]
