"""The `smartcustoms` command line (typer + rich)."""

from smartcustoms.cli.main import app, main

__all__ = ["app", "main"]
