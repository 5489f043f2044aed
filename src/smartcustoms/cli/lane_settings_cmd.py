"""CLI: the lane settings in force, their versions, saving a file, going back to a version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.markup import escape

from smartcustoms.cli.common import emit, handled, operator, out, require_schema, state
from smartcustoms.db import unit_of_work
from smartcustoms.risk import lane_store
from smartcustoms.risk.lane_store import LaneSettingsVersion

lane_settings = typer.Typer(
    no_args_is_help=True,
    help="Lane settings (capacity per lane, office and day; random share; seed; policy): "
    "stored versions, one in force, every change audited.")


def _when(version: LaneSettingsVersion) -> str:
    if version.activated_at is None:
        return "never in force as a stored version"
    since = f"{version.activated_at:%Y-%m-%d %H:%M} UTC by {version.activated_by}"
    return f"in force since {since}" if version.active else f"last put in force {since}"


def _describe(version: LaneSettingsVersion) -> str:
    if version.id is None:
        return f"the shipped default ({lane_store.DEFAULT_LANES_PATH}): none saved yet"
    saved = f"saved {version.created_at:%Y-%m-%d %H:%M} UTC by {version.author}"
    note = f"; note: {version.note}" if version.note else ""
    return f"version {version.id}, {_when(version)}; {saved}{note}"


def _print_settings(version: LaneSettingsVersion) -> None:
    """As YAML that `set` reads back, what it is in comments."""
    body = yaml.safe_dump(version.settings.model_dump(mode="json", exclude_none=True),
                          sort_keys=False)
    # soft_wrap: a comment wrapped onto a second line would no longer be YAML.
    out.print(escape(f"# lane settings {_describe(version)}\n# sha256 {version.sha256}\n"
                     + body), highlight=False, end="", soft_wrap=True)


@lane_settings.command("show")
def show_command(ctx: typer.Context) -> None:
    """The lane settings in force, as YAML (`set` reads it back)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            version = lane_store.current_lane_settings(session, actor=operator())
    emit(st, version, lambda: _print_settings(version))


@lane_settings.command("set")
def set_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Lane settings YAML (the shape of "
                                         "data/risk/lanes.yaml).")],
    note: Annotated[str | None, typer.Option(help="Why: shown in the history.")] = None,
) -> None:
    """Save the file's settings as a new version and put it in force."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        settings = lane_store.load_lane_settings(file)
        with unit_of_work(st.sessions) as session:
            version, created = lane_store.save_lane_settings(
                session, settings, actor=operator(), note=note, now=st.clock())

    def human() -> None:
        if created:
            out.print(f"lane settings version {version.id} saved and in force "
                      f"(sha256 {version.sha256[:16]}…)", highlight=False)
        else:
            out.print(f"these settings are already in force ({escape(_describe(version))}): "
                      "nothing saved", highlight=False)

    emit(st, version.model_dump(mode="json") | {"created": created}, human)


@lane_settings.command("history")
def history_command(ctx: typer.Context) -> None:
    """Every stored version, newest first."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            versions = lane_store.lane_settings_history(session, actor=operator())

    def human() -> None:
        if not versions:
            out.print("no lane settings saved yet: the shipped default is in force "
                      f"({escape(str(lane_store.DEFAULT_LANES_PATH))})", highlight=False)
            return
        for v in versions:  # lines, not a table: they stay readable in a narrow terminal
            out.print(f"[bold]version {v.id}[/]{' (in force)' if v.active else ''}: "
                      f"saved {v.created_at:%Y-%m-%d %H:%M} UTC by {escape(v.author or '')}; "
                      f"{escape(_when(v))}; sha256 {v.sha256[:12]}", highlight=False,
                      soft_wrap=True)
            if v.note:
                out.print(f"    {escape(v.note)}", highlight=False, soft_wrap=True)

    emit(st, [v.model_dump(mode="json") for v in versions], human)


@lane_settings.command("activate")
def activate_command(ctx: typer.Context, version: int) -> None:
    """Put an earlier version back in force (a roll back)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            activated = lane_store.activate_version(session, version, actor=operator(),
                                                    now=st.clock())
    emit(st, activated, lambda: out.print(
        f"lane settings version {activated.id} in force (sha256 {activated.sha256[:16]}…)",
        highlight=False))
