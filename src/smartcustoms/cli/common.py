"""What every CLI command shares: settings, the database, output, errors."""

from __future__ import annotations

import datetime as dt
import getpass
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, utcnow
from smartcustoms.errors import ConfigurationError, InvalidInput, SmartCustomsError
from smartcustoms.identity import Principal, Role

out = Console()
err = Console(stderr=True)


class LazyModule:
    """A module imported when a command first uses it. The risk commands need LightGBM,
    scikit-learn and Polars (about 250 MB and 2.5 s to import); every other command,
    `import` and its worker processes included, starts without them."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


@dataclass
class State:
    settings: Settings
    json: bool = False
    debug: bool = False
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @staticmethod
    def clock() -> Any:
        return utcnow()


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj  # type: ignore[no-any-return]


def operator() -> Principal:
    """The local operator: whoever can run the CLI on the server can reach the database."""
    try:
        name = getpass.getuser()
    except Exception:  # no user name in some containers
        name = "unknown"
    return Principal(user_id=None, username=f"cli:{name}", role=Role.admin)


def emit(st: State, value: BaseModel | dict[str, Any] | list[Any], human: Callable[[], None]
         ) -> None:
    """--json: one JSON document per line; otherwise the human rendering."""
    if st.json:
        data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        sys.stdout.write(orjson.dumps(data, default=str).decode() + "\n")
        sys.stdout.flush()
    else:
        human()


@contextmanager
def handled(st: State) -> Iterator[None]:
    """Domain errors become one clear line on stderr and the error's exit code."""
    try:
        yield
    except SmartCustomsError as exc:
        if st.debug:
            raise
        # escape(): details echo file names and cell values, which may hold '[/x]'.
        err.print(f"[bold red]error[/]: {escape(exc.title)}: {escape(exc.detail)}",
                  highlight=False, soft_wrap=True)
        for e in exc.errors[1:6]:
            err.print(f"  {escape(str(e))}", highlight=False, soft_wrap=True)
        if len(exc.errors) > 6:
            err.print(f"  … and {len(exc.errors) - 6} more", highlight=False)
        raise typer.Exit(exc.exit_code) from None


def require_schema(st: State) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from smartcustoms.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(st.engine)).get_current_head()
    with st.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        raise ConfigurationError(
            f"the database is at schema revision {current or 'none'}, not {head}: "
            "run `smartcustoms init` first"
        )


def iso_date(text: str | None, name: str) -> dt.date | None:
    """An option's ISO date, or a clear error naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO date (YYYY-MM-DD)", field=name,
                           value=text) from None
