"""The broker's password and ACL files as rendered and written (no broker needed)."""

from __future__ import annotations

import os
import signal
import stat
import threading
from pathlib import Path

import pytest

from smartcustoms.mqtt.broker import reload, render_acl, render_passwd, write_atomically
from smartcustoms.transit.credentials import hash_secret


def test_passwd_has_one_line_per_user() -> None:
    a, b = hash_secret("a"), hash_secret("b")
    assert render_passwd([("ESEAL-0001", a), ("intake-1", b)]) == (
        f"ESEAL-0001:{a}\nintake-1:{b}\n")
    assert render_passwd([]) == ""


@pytest.mark.parametrize("username", ["ab", "a/b/c", "dev+", "dev#", "-dev", "x" * 65])
def test_passwd_refuses_usernames_that_are_not_device_ids(username: str) -> None:
    with pytest.raises(ValueError):
        render_passwd([(username, hash_secret("x"))])


def test_passwd_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        render_passwd([("ESEAL-1", hash_secret("x")), ("ESEAL-1", hash_secret("y"))])


def test_acl_gives_devices_their_own_topics_and_intake_all() -> None:
    acl = render_acl(["intake-1"])
    lines = [line for line in acl.splitlines() if line and not line.startswith("#")]
    assert lines == [
        "user intake-1",
        "topic read smartcustoms/v1/devices/+/+",
        "pattern write smartcustoms/v1/devices/%u/json",
        "pattern write smartcustoms/v1/devices/%u/epcis",
    ]


def test_write_atomically_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    path.write_text("old\n")
    write_atomically(path, "new\n")
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["passwd"]


def test_reload_sends_sighup(tmp_path: Path) -> None:
    got = threading.Event()
    previous = signal.signal(signal.SIGHUP, lambda *_: got.set())
    try:
        pid_file = tmp_path / "mosquitto.pid"
        pid_file.write_text(f"{os.getpid()}\n")
        reload(pid_file)
        assert got.wait(2)
    finally:
        signal.signal(signal.SIGHUP, previous)
