"""The broker's password and ACL files, written atomically, and the reload signal.

Mosquitto reads ``password_file`` and ``acl_file`` at start and again on SIGHUP, so
provisioning a device is: rewrite both files, then ``reload``. A file is replaced with
``os.replace`` so the broker never reads half of one. The ACL gives each device exactly
two topics, its own ``.../<device_id>/json`` and ``.../<device_id>/epcis`` (``%u`` is the
authenticated username, which is the device id), and the intake users read them all.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from smartcustoms.transit.credentials import password_file_line
from smartcustoms.transit.inbound import TOPIC_FORMATS, TOPIC_PREFIX

DEVICE_SUBSCRIPTION = f"{TOPIC_PREFIX}/+/+"
# As TelemetryEvent.device_id; in particular no '+', '#' or '/' (which would widen %u).
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,63}$")


def _check_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise ValueError(f"not a valid MQTT username / device id: {username!r}")
    return username


def render_passwd(entries: Iterable[tuple[str, str]]) -> str:
    """Password file for ``(username, hashed secret)`` pairs (devices and intake users)."""
    lines: list[str] = []
    seen: set[str] = set()
    for username, hashed in entries:
        if username in seen:
            raise ValueError(f"duplicate username in password file: {username!r}")
        seen.add(username)
        lines.append(password_file_line(_check_username(username), hashed))
    return "".join(f"{line}\n" for line in lines)


def render_acl(intake_users: Iterable[str]) -> str:
    """ACL: intake users read every device topic; a device writes only its own topics.

    Patterns apply to every user, intake users included, so an intake username must
    never also be issued as a device id.
    """
    lines = ["# written by smartcustoms.mqtt.broker; do not edit"]
    for user in intake_users:
        lines += [f"user {_check_username(user)}", f"topic read {DEVICE_SUBSCRIPTION}"]
    lines.append("")  # 'pattern' lines are global in Mosquitto wherever they stand
    lines += [f"pattern write {TOPIC_PREFIX}/%u/{fmt}" for fmt in TOPIC_FORMATS]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` in one step (temp file in the same dir, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def reload(pid_file: Path) -> None:
    """Tell the broker to re-read its password and ACL files (SIGHUP)."""
    pid = int(pid_file.read_text().split()[0])
    os.kill(pid, signal.SIGHUP)


@dataclass(frozen=True, slots=True)
class BrokerFiles:
    """The files of one broker as ``scripts/mosquitto-throwaway.sh`` lays them out."""

    directory: Path

    @property
    def passwd(self) -> Path:
        return self.directory / "passwd"

    @property
    def acl(self) -> Path:
        return self.directory / "acl"

    @property
    def pid_file(self) -> Path:
        return self.directory / "mosquitto.pid"

    def publish(self, credentials: Iterable[tuple[str, str]], intake_users: Iterable[str]) -> None:
        """Write both files, then reload the broker. Credentials are (username, hash)."""
        write_atomically(self.passwd, render_passwd(credentials))
        write_atomically(self.acl, render_acl(intake_users))
        reload(self.pid_file)
