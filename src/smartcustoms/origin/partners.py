"""What an administration does for its partners' logs: witness them and mirror them.

- **Witness**: the administration's witness key cosigns the checkpoints of the partner
  logs it follows (each named by the partner's trust-policy file, copied into
  ``DATA_DIR/origin/witness/follow/``), never two inconsistent ones; its state is
  ``witness/partners.json`` (its own log's is ``witness/state.json``, kept apart so that
  neither can roll the other back). ``add_checkpoint`` is the C2SP tlog-witness call on
  bytes; the HTTP adapter moves them.
- **Mirror**: a verified copy of a partner's log (a URL serving tlog-tiles, or a
  directory) in a local directory, to verify bundles online without asking the partner.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from smartcustoms.config import Settings
from smartcustoms.origin.errors import TileMissing
from smartcustoms.origin.mirror import Fetch, Mirror, fetch_from_directory
from smartcustoms.origin.policy_file import load_trust_policy
from smartcustoms.origin.store import OriginPaths, load_origin
from smartcustoms.origin.witness import (
    Witness,
    format_cosignature_response,
    parse_add_checkpoint,
)


def follow_dir(settings: Settings) -> Path:
    return OriginPaths.of(settings).root / "witness" / "follow"


class FollowedLog(BaseModel):
    log_origin: str
    log_keys: list[str]
    file: str


def follow_log(settings: Settings, policy_path: Path | str) -> FollowedLog:
    """Have this administration's witness follow the log a partner's policy names."""
    policy = load_trust_policy(policy_path)
    target = follow_dir(settings)
    target.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", policy.log_origin) + ".toml"
    shutil.copyfile(policy_path, target / name)
    return FollowedLog(log_origin=policy.log_origin, log_keys=[k.vkey for k in policy.log_keys],
                       file=str(target / name))


def followed_logs(settings: Settings) -> list[FollowedLog]:
    out = []
    for path in sorted(follow_dir(settings).glob("*.toml")):
        policy = load_trust_policy(path)
        out.append(FollowedLog(log_origin=policy.log_origin,
                               log_keys=[k.vkey for k in policy.log_keys], file=str(path)))
    return out


def partner_witness(settings: Settings, clock: Callable[[], dt.datetime]) -> Witness | None:
    """The witness over the followed partner logs (None when it follows none). Build it
    once per process: it serialises its requests with a lock."""
    origin = load_origin(settings)
    logs = {}
    for path in sorted(follow_dir(settings).glob("*.toml")):
        policy = load_trust_policy(path)
        if policy.log_origin != origin.config.log_origin:
            logs[policy.log_origin] = list(policy.log_keys)
    if not logs:
        return None
    state = OriginPaths.of(settings).root / "witness" / "partners.json"
    return Witness(origin.witness_signer, logs, state, clock=clock)


def add_checkpoint(witness: Witness, body: bytes) -> bytes:
    """The add-checkpoint request body in, the cosignature lines out (or a
    ``WitnessError`` carrying the spec's HTTP status)."""
    return format_cosignature_response(witness.add_checkpoint(parse_add_checkpoint(body)))


class MirrorReport(BaseModel):
    source: str
    directory: str
    log_origin: str
    size: int


def http_fetch(base_url: str, timeout: float = 30.0) -> Fetch:
    base = base_url.rstrip("/")

    def fetch(path: str) -> bytes:
        try:
            with urllib.request.urlopen(f"{base}/{path}", timeout=timeout) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise TileMissing(f"{base}/{path}: not found") from exc
            raise TileMissing(f"{base}/{path}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TileMissing(f"{base}/{path}: {exc}") from exc

    return fetch


def mirror_log(source: str, directory: Path | str, policy_path: Path | str, *,
               now: dt.datetime) -> MirrorReport:
    """Bring a verified copy of a partner's log up to its published checkpoint."""
    policy = load_trust_policy(policy_path)
    fetch = http_fetch(source) if re.match(r"https?://", source) else \
        fetch_from_directory(source)
    checkpoint = Mirror(fetch, directory, policy=policy, clock=lambda: now).sync()
    return MirrorReport(source=source, directory=str(directory),
                        log_origin=checkpoint.origin, size=checkpoint.size)


__all__ = ["FollowedLog", "MirrorReport", "add_checkpoint", "follow_log", "followed_logs",
           "mirror_log", "partner_witness"]
