"""The trust-policy file an offline verifier carries: a few lines of TOML.

    version = 1
    log_origin = "customs.cn.example/origin"
    log_keys = ["customs.cn.example/origin+1a2b3c4d+AQ..."]      # signed-note vkeys
    witness_keys = ["customs.kr.example/witness+5e6f7a8b+BA..."]  # cosignature vkeys
    quorum = 1
    max_age_seconds = 86400
    registry_roots = ["ed25519:..."]  # administration keys that sign issuer statements

That is everything a customs officer's tablet needs to check a proof bundle without a
network: whose log, whose witnesses, how many of them, how fresh, and who may add
issuers. Parsing is strict (unknown keys refused, every key checked) because a typo in
a policy must not quietly weaken it.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from smartcustoms.errors import InvalidInput
from smartcustoms.origin.cosignature import CosignatureVerifier
from smartcustoms.origin.errors import NoteInvalid
from smartcustoms.origin.models import KeyFileInvalid
from smartcustoms.origin.note import Ed25519Verifier
from smartcustoms.origin.policy import TrustPolicy
from smartcustoms.origin.signing import format_public_key, parse_public_key

POLICY_VERSION = 1
MAX_POLICY_BYTES = 64 * 1024
_KEYS = {
    "version",
    "log_origin",
    "log_keys",
    "witness_keys",
    "quorum",
    "max_age_seconds",
    "registry_roots",
}


class PolicyFileInvalid(InvalidInput):
    code = "origin-policy-invalid"
    title = "The trust-policy file is not valid"


def _strings(raw: dict[str, Any], name: str) -> list[str]:
    value = raw.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise PolicyFileInvalid(
            f"{name} must be a non-empty list of strings; got {value!r}", field=name, value=value
        )
    return value


def _integer(raw: dict[str, Any], name: str, minimum: int) -> int:
    value = raw.get(name)
    if type(value) is not int or value < minimum:
        raise PolicyFileInvalid(
            f"{name} must be an integer of at least {minimum}; got {value!r}",
            field=name,
            value=value,
        )
    return value


def parse_trust_policy(text: str | bytes) -> TrustPolicy:
    """A ``TrustPolicy`` from the TOML text above; ``PolicyFileInvalid`` names the key."""
    if len(text) > MAX_POLICY_BYTES:
        raise PolicyFileInvalid(f"a policy file is at most {MAX_POLICY_BYTES} bytes")
    try:
        raw = tomllib.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyFileInvalid(f"not TOML: {exc}") from exc
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise PolicyFileInvalid(
            f"unknown key(s) {', '.join(unknown)}; accepted: {', '.join(sorted(_KEYS))}",
            field=unknown[0],
        )
    if raw.get("version") != POLICY_VERSION:
        raise PolicyFileInvalid(
            f"version must be {POLICY_VERSION}; got {raw.get('version')!r}", field="version"
        )
    origin = raw.get("log_origin")
    if not isinstance(origin, str) or not origin:
        raise PolicyFileInvalid("log_origin must be a non-empty string", field="log_origin")
    max_age = raw.get("max_age_seconds")
    roots: list[Ed25519PublicKey] = []
    try:
        log_keys = [Ed25519Verifier.from_vkey(k) for k in _strings(raw, "log_keys")]
        witnesses = [CosignatureVerifier.from_vkey(k) for k in _strings(raw, "witness_keys")]
        if "registry_roots" in raw:
            roots = [parse_public_key(k) for k in _strings(raw, "registry_roots")]
        return TrustPolicy.create(
            log_origin=origin,
            log_keys=log_keys,
            witnesses=witnesses,
            quorum=_integer(raw, "quorum", 1),
            max_age=None
            if max_age is None
            else timedelta(seconds=_integer(raw, "max_age_seconds", 1)),
            registry_roots=roots,
        )
    except (NoteInvalid, KeyFileInvalid) as exc:
        raise PolicyFileInvalid(exc.detail, field=exc.field, value=exc.value) from exc
    except ValueError as exc:  # TrustPolicy.create's refusals
        raise PolicyFileInvalid(str(exc)) from exc


def load_trust_policy(path: Path | str) -> TrustPolicy:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyFileInvalid(f"{path} cannot be read: {exc.strerror}", value=str(path)) from exc
    return parse_trust_policy(data)


def _toml_list(values: list[str]) -> str:
    # Keys are base64 and names without quotes or backslashes, so plain quoting is exact.
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def format_trust_policy(policy: TrustPolicy) -> str:
    """The file text of a policy (what an administration hands its partners)."""
    lines = [
        f"version = {POLICY_VERSION}",
        f'log_origin = "{policy.log_origin}"',
        f"log_keys = {_toml_list([k.vkey for k in policy.log_keys])}",
        f"witness_keys = {_toml_list([w.vkey for w in policy.witnesses])}",
        f"quorum = {policy.quorum}",
    ]
    if policy.max_age is not None:
        lines.append(f"max_age_seconds = {int(policy.max_age.total_seconds())}")
    if policy.registry_roots:
        lines.append(
            f"registry_roots = {_toml_list([format_public_key(k) for k in policy.registry_roots])}"
        )
    return "\n".join(lines) + "\n"
