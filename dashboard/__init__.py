"""Public confidence and victim satisfaction dashboard for police forces."""

__version__ = "0.1.0"
