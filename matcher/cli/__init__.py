"""The `matcher` command: one module per command group; each reads, calls the library, prints."""

from matcher.cli.main import main

__all__ = ["main"]
