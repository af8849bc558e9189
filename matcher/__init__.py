"""Housing-matching optimisation engine."""

__version__ = "0.1.0"
