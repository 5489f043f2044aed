"""Where an administration keeps its origin log, keys and settings, and how it opens them.

Everything lives under ``Settings.data_dir / "origin"``, never in the repository:

    origin/origin.json      log origin (name), the administration's country, witnesses
    origin/keys/            root.key, log.key, witness.key, issuer-*.key (0600; 0700 dir)
    origin/log/             the C2SP tlog-tiles log (tiles, entries, checkpoint)
    origin/witness/         the administration's own witness state

The keys are generated on first use (``ensure_setup``; ``smartcustoms init`` calls it).
The log directory is the source of truth; the database tables are an index of it.

``open_log`` serialises access within a process (the sequencer takes an exclusive
``flock``, and a second open in the same process would be refused) and waits a little
for another process (the CLI while the server runs) to finish.

Publishing: after every change the new checkpoint is cosigned by the administration's own
witness and by the partner witnesses of ``origin.json`` (C2SP tlog-witness over HTTP), and
published once the trust policy's quorum is met.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcustoms.config import Settings
from smartcustoms.errors import ConfigurationError
from smartcustoms.origin._atomic import write_file_durably
from smartcustoms.origin.checkpoint import parse_checkpoint
from smartcustoms.origin.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    cosignature_timestamp,
)
from smartcustoms.origin.errors import (
    LogLocked,
    TileMissing,
    WitnessError,
    WitnessRequestInvalid,
    WitnessSizeConflict,
)
from smartcustoms.origin.note import Ed25519Signer, NoteSignature, parse_note
from smartcustoms.origin.policy import TrustPolicy
from smartcustoms.origin.publish import WitnessEndpoint, cosign_for_publication
from smartcustoms.origin.registry_log import CertificateLog
from smartcustoms.origin.signing import generate_key, load_private_key
from smartcustoms.origin.witness import (
    AddCheckpointRequest,
    Witness,
    parse_cosignature_response,
)

CONFIG_VERSION = 1
DEFAULT_LOG_ORIGIN = "smartcustoms.example/origin"
DEFAULT_COUNTRY = "DE"
DEFAULT_MAX_AGE = timedelta(days=7)
ROOT_KEY, LOG_KEY, WITNESS_KEY = "root", "log", "witness"
_LOCK = threading.RLock()
_WAIT_SECONDS = 10.0


@dataclasses.dataclass(frozen=True, slots=True)
class PartnerWitness:
    vkey: str  # cosignature/v1 verifier key
    url: str  # the witness's add-checkpoint URL

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier.from_vkey(self.vkey)


@dataclasses.dataclass(frozen=True, slots=True)
class OriginConfig:
    log_origin: str = DEFAULT_LOG_ORIGIN
    country: str = DEFAULT_COUNTRY
    quorum: int = 1
    max_age_seconds: int = int(DEFAULT_MAX_AGE.total_seconds())
    witnesses: tuple[PartnerWitness, ...] = ()

    @property
    def witness_name(self) -> str:
        return self.log_origin.split("/")[0] + "/witness"

    def to_json(self) -> dict[str, Any]:
        return {"version": CONFIG_VERSION, "log_origin": self.log_origin,
                "country": self.country, "quorum": self.quorum,
                "max_age_seconds": self.max_age_seconds,
                "witnesses": [{"vkey": w.vkey, "url": w.url} for w in self.witnesses]}


@dataclasses.dataclass(frozen=True, slots=True)
class OriginPaths:
    root: Path

    @classmethod
    def of(cls, settings: Settings) -> OriginPaths:
        return cls(Path(settings.data_dir) / "origin")

    @property
    def config(self) -> Path:
        return self.root / "origin.json"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def log(self) -> Path:
        return self.root / "log"

    @property
    def witness_state(self) -> Path:
        return self.root / "witness" / "state.json"

    def key(self, name: str) -> Path:
        return self.keys / f"{name}.key"


def load_config(paths: OriginPaths) -> OriginConfig:
    try:
        raw = json.loads(paths.config.read_text("utf-8"))
        return OriginConfig(
            log_origin=str(raw["log_origin"]), country=str(raw["country"]),
            quorum=int(raw.get("quorum", 1)),
            max_age_seconds=int(raw.get("max_age_seconds", DEFAULT_MAX_AGE.total_seconds())),
            witnesses=tuple(PartnerWitness(str(w["vkey"]), str(w["url"]))
                            for w in raw.get("witnesses", ())))
    except FileNotFoundError:
        raise ConfigurationError(
            f"{paths.config} does not exist: run `smartcustoms init` first") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"{paths.config} is not valid: {exc}") from exc


def save_config(paths: OriginPaths, config: OriginConfig) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    write_file_durably(paths.config, (json.dumps(config.to_json(), indent=1) + "\n").encode())


@dataclasses.dataclass(frozen=True, slots=True)
class SetupReport:
    created_keys: tuple[str, ...]
    config: OriginConfig
    directory: str


def ensure_setup(settings: Settings, *, log_origin: str | None = None,
                 country: str | None = None) -> SetupReport:
    """Create what is missing: the settings file, the root, log and witness keys.

    ``log_origin`` and ``country`` may change only while the log is empty (the origin is
    in every checkpoint; the country in every utilisation).
    """
    paths = OriginPaths.of(settings)
    if country is not None:
        if not re.fullmatch(r"[A-Za-z]{2}", country):
            raise ConfigurationError(f"country {country!r} must be an ISO 3166 alpha-2 code")
        country = country.upper()
    with _LOCK:
        if paths.config.exists():
            config = load_config(paths)
            changed = dataclasses.replace(config, log_origin=log_origin or config.log_origin,
                                          country=country or config.country)
            if changed != config:
                if (paths.log / "log" / "committed").exists():
                    raise ConfigurationError(
                        f"the log in {paths.log} has entries: its origin and country are fixed")
                _check_origin(changed.log_origin)
                save_config(paths, changed)
                config = changed
        else:
            config = OriginConfig(log_origin=log_origin or DEFAULT_LOG_ORIGIN,
                                  country=country or DEFAULT_COUNTRY)
            _check_origin(config.log_origin)
            save_config(paths, config)
        created = []
        for name in (ROOT_KEY, LOG_KEY, WITNESS_KEY):
            if not paths.key(name).exists():
                generate_key(paths.keys, name)
                created.append(name)
    return SetupReport(tuple(created), config, str(paths.root))


def _check_origin(origin: str) -> None:
    if not re.fullmatch(r"[a-z0-9.-]+(/[A-Za-z0-9._-]+)*", origin):
        raise ConfigurationError(
            f"log origin {origin!r} must look like host.example/path (no spaces or '+')")


# --------------------------------------------------------------------- the pieces


@dataclasses.dataclass(frozen=True)
class Origin:
    """The administration's origin setup, loaded: paths, settings and keys."""

    paths: OriginPaths
    config: OriginConfig
    root_key: Ed25519PrivateKey
    log_signer: Ed25519Signer
    witness_signer: CosignatureSigner

    @property
    def max_age(self) -> timedelta:
        return timedelta(seconds=self.config.max_age_seconds)

    def policy(self) -> TrustPolicy:
        """The trust policy partners verify this administration's bundles with."""
        witnesses = [self.witness_signer.verifier(),
                     *(w.verifier() for w in self.config.witnesses)]
        return TrustPolicy.create(
            log_origin=self.config.log_origin, log_keys=[self.log_signer.verifier()],
            witnesses=witnesses, quorum=min(self.config.quorum, len(witnesses)),
            max_age=self.max_age, registry_roots=[self.root_key.public_key()])

    def witness(self, now: datetime) -> Witness:
        """The administration's own witness, following its own log."""
        return Witness(self.witness_signer, {self.config.log_origin: [self.log_signer.verifier()]},
                       self.paths.witness_state, clock=lambda: now)

    def issuer_key(self, name: str) -> Ed25519PrivateKey:
        return load_private_key(self.paths.key(name))


def load_origin(settings: Settings) -> Origin:
    """The setup, created on first use."""
    paths = OriginPaths.of(settings)
    if not paths.config.exists() or not paths.key(WITNESS_KEY).exists():
        ensure_setup(settings)
    config = load_config(paths)
    return Origin(
        paths, config, load_private_key(paths.key(ROOT_KEY)),
        Ed25519Signer(config.log_origin, load_private_key(paths.key(LOG_KEY))),
        CosignatureSigner(config.witness_name, load_private_key(paths.key(WITNESS_KEY))))


@contextmanager
def open_log(origin: Origin) -> Iterator[CertificateLog]:
    """The certificate log, held exclusively for the block (queued statements are
    committed on a normal exit)."""
    with _LOCK:
        deadline = time.monotonic() + _WAIT_SECONDS
        while True:
            try:
                log = CertificateLog.open(origin.paths.log, origin.log_signer,
                                          [origin.root_key.public_key()], batch_size=1024)
                break
            except LogLocked:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with log:
            yield log


class HttpWitness:
    """A partner witness reached over HTTP (C2SP tlog-witness add-checkpoint)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def add_checkpoint(self, request: AddCheckpointRequest) -> list[NoteSignature]:
        http = urllib.request.Request(self.url, data=request.body(), method="POST")
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as response:
                return parse_cosignature_response(response.read())
        except urllib.error.HTTPError as exc:
            body = exc.read()
            if exc.code == 409 and body.strip().isdigit():
                raise WitnessSizeConflict(f"{self.url}: size conflict",
                                          latest_size=int(body.strip())) from exc
            raise WitnessRequestInvalid(f"{self.url} answered {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise WitnessRequestInvalid(f"{self.url} cannot be reached: {exc}") from exc


def publish(origin: Origin, log: CertificateLog, *, now: datetime) -> str:
    """Commit, gather cosignatures (own witness and partners) and publish at quorum;
    returns the published note. Cosigning the same checkpoint again refreshes its age."""
    note = log.commit()
    witnesses: dict[str, WitnessEndpoint] = {origin.config.witness_name: origin.witness(now)}
    for partner in origin.config.witnesses:
        witnesses[partner.verifier().name] = HttpWitness(partner.url)
    cosigned = cosign_for_publication(note, witnesses, log.prove_consistency, {},
                                      origin.policy(), now=now)
    log.sequencer.publish(cosigned)
    return cosigned


def published_age(log: CertificateLog, now: datetime) -> timedelta | None:
    """How old the newest cosignature of the published checkpoint is (None: unpublished
    or behind the committed log)."""
    try:
        note = parse_note(log.published_note())
    except TileMissing:
        return None
    if parse_checkpoint(note.text).size != log.checkpoint.size:
        return None
    stamps = [cosignature_timestamp(s.signature) for s in note.signatures
              if len(s.signature) == 72]
    if not stamps:
        return None
    return now - datetime.fromtimestamp(max(stamps), tz=now.tzinfo)


def ensure_fresh(origin: Origin, log: CertificateLog, *, now: datetime) -> str:
    """The published note, cosigned again when older than half the policy's maximum age."""
    age = published_age(log, now)
    if age is None or age > origin.max_age / 2 or age < timedelta(0):
        return publish(origin, log, now=now)
    return log.published_note()


__all__ = [
    "Origin",
    "OriginConfig",
    "OriginPaths",
    "PartnerWitness",
    "SetupReport",
    "WitnessError",
    "ensure_fresh",
    "ensure_setup",
    "load_origin",
    "open_log",
    "publish",
]
