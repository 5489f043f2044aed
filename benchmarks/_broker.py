"""What the MQTT benchmarks share: a throwaway Mosquitto broker, CPU time of a process,
the broker's version (run as scripts, they import this as a sibling)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mosquitto-throwaway.sh"
WINDOW = 100  # QoS 1 messages a device may have unacked, as a real client library would


def start_broker(directory: Path) -> str:
    """Start a broker whose password and ACL files are in ``directory``; its URL."""
    return subprocess.run([str(SCRIPT), "start", str(directory)], check=True,
                          capture_output=True, text=True).stdout.strip()


def stop_broker(directory: Path) -> None:
    subprocess.run([str(SCRIPT), "stop", str(directory)], check=False, capture_output=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mosquitto_version() -> str:
    try:
        out = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return "?"
    return out.splitlines()[0].removeprefix("mosquitto version ") if out else "?"
