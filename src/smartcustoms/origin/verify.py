"""Verify a proof bundle: three answers, each with its reason, failing closed.

Like OpenAttestation/TradeTrust's verifier, the verdict has three parts:

- **integrity**: the disclosure hashes to the digest the issue statement names, the
  issuer's key signed that digest, and the statement is in the log: its inclusion
  proof leads to a checkpoint the trust policy accepts (log key, witness quorum, age);
- **status**: as of that checkpoint not revoked, not superseded, inside its validity
  on ``now``, not over-used in this log; the bundle must carry every statement the
  log's signed index note lists, so none can be left out silently;
- **issuer**: the issuer and its key were authorised at the statement's log position
  (the registry replayed from the root-signed issuer statements in the bundle), for
  this certificate type, agreement and exporting country.

Offline, status is "as of checkpoint N": a revocation sequenced after N is unknown and
the reason says so. ``verify_online`` asks a log or a mirror for its latest witnessed
checkpoint, checks that it extends the bundle's (consistency proof), and judges status
and issuer again at that size.

Failing closed: any exception, missing member or unexpected shape gives ``ok=False``
for every part it touches; a part that could not be evaluated is failed with the
reason, never left passing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from smartcustoms.origin.bundle import BundleEntry, ProofBundle, evidence_keys, parse_bundle
from smartcustoms.origin.checkpoint import Checkpoint
from smartcustoms.origin.commitments import read_disclosure
from smartcustoms.origin.compact import decode_disclosure
from smartcustoms.origin.errors import QuorumNotReached, VerificationFailed
from smartcustoms.origin.index_note import open_index_note
from smartcustoms.origin.issuers import Registry
from smartcustoms.origin.merkle import hash_leaf, verify_consistency, verify_inclusion
from smartcustoms.origin.models import DisclosureInvalid, RegistryConflict, VerificationError
from smartcustoms.origin.policy import TrustPolicy, verify_checkpoint
from smartcustoms.origin.signing import verify_digest
from smartcustoms.origin.statements import (
    AmendStatement,
    IssuerAdded,
    IssuerRevoked,
    IssueStatement,
    ItemBalance,
    KeyRevoked,
    KeyRotated,
    SignedStatement,
    parse_signed_statement,
)
from smartcustoms.origin.status import fold_status

_REGISTRY = IssuerAdded | KeyRotated | KeyRevoked | IssuerRevoked


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    code: str  # stable slug: "ok", "revoked", "checkpoint-untrusted", ...
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    integrity: Check
    status: Check
    issuer: Check
    mode: str  # "offline" or "online"
    checkpoint_size: int | None = None
    position: int | None = None
    certificate_number: str | None = None
    digest: str | None = None
    disclosed: dict[str, Any] = dataclasses.field(default_factory=dict)
    balances: tuple[ItemBalance, ...] = ()
    supersedes: str | None = None  # an amendment: the digest of the certificate it replaces

    @property
    def ok(self) -> bool:
        return self.integrity.ok and self.status.ok and self.issuer.ok


def _fail(code: str, reason: str) -> Check:
    return Check(False, code, reason)


def _all_failed(mode: str, code: str, reason: str) -> Verdict:
    failed = _fail(code, reason)
    return Verdict(failed, failed, failed, mode)


class _Stop(Exception):
    """A failure that leaves the remaining parts unevaluable: carries the verdict."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict


# ------------------------------------------------------------------ evaluation


@dataclasses.dataclass(frozen=True, slots=True)
class _Evidence:
    checkpoint: Checkpoint
    entries: dict[int, SignedStatement]
    index_note: str | None  # None: the caller's own index is complete (online, local)


def _prove_entries(
    entries: Sequence[BundleEntry], checkpoint: Checkpoint, mode: str
) -> dict[int, SignedStatement]:
    out: dict[int, SignedStatement] = {}
    for entry in entries:
        try:
            verify_inclusion(
                hash_leaf(entry.statement),
                entry.index,
                checkpoint.size,
                entry.proof,
                checkpoint.root_hash,
            )
            out[entry.index] = parse_signed_statement(entry.statement)
        except (VerificationFailed, ValueError) as exc:
            not_checked = f"not evaluated: entry {entry.index} is not proven in the log"
            raise _Stop(
                Verdict(
                    _fail(
                        "inclusion-proof",
                        f"entry {entry.index} is not in the log at checkpoint "
                        f"{checkpoint.size}: {exc}",
                    ),
                    _fail("not-evaluated", not_checked),
                    _fail("not-evaluated", not_checked),
                    mode,
                    checkpoint.size,
                )
            ) from exc
    return out


def _issued_among(
    entries: dict[int, SignedStatement],
) -> Callable[[str], IssueStatement | AmendStatement | None]:
    """Finds a digest's issue or amend statement among proven entries."""
    by_digest = {
        s.statement.digest: s.statement
        for _, s in sorted(entries.items(), reverse=True)  # the first one wins
        if isinstance(s.statement, IssueStatement | AmendStatement)
    }
    return by_digest.get


def _complete(
    evidence: _Evidence, policy: TrustPolicy, st: IssueStatement | AmendStatement
) -> Check | None:
    """None when the entries are every entry the log lists under the certificate's keys
    (its digest, its issuer, the digests it amends); a failed Check otherwise."""
    if evidence.index_note is None:
        return None
    try:
        note = open_index_note(evidence.index_note, policy.log_keys)
    except VerificationFailed as exc:
        return _fail("index-untrusted", f"the statement-index note does not verify: {exc}")
    cp = evidence.checkpoint
    if (note.origin, note.size, note.root_hash) != (cp.origin, cp.size, cp.root_hash):
        return _fail("index-mismatch", "the statement-index note is for another tree")
    wanted = set(evidence_keys(st, _issued_among(evidence.entries)))
    if {k for k, _ in note.keys} != wanted:
        return _fail("index-mismatch", f"the statement-index note must list {sorted(wanted)}")
    listed, carried = note.indexes(), set(evidence.entries)
    if listed != carried:
        missing, extra = sorted(listed - carried), sorted(carried - listed)
        return _fail(
            "evidence-incomplete",
            f"the bundle must carry exactly the listed entries; missing {missing}, extra {extra}",
        )
    return None


def _evaluate(
    evidence: _Evidence,
    disclosure: bytes,
    position: int,
    policy: TrustPolicy,
    now: datetime,
    mode: str,
) -> Verdict:
    cp = evidence.checkpoint
    signed = evidence.entries.get(position)
    if signed is None or not isinstance(signed.statement, IssueStatement | AmendStatement):
        reason = f"entry {position} is not an issue or amend statement in the bundle"
        return _all_failed(mode, "certificate-statement-missing", reason)
    st = signed.statement
    base = {
        "mode": mode,
        "checkpoint_size": cp.size,
        "position": position,
        "certificate_number": st.certificate_number,
        "digest": st.digest,
        "supersedes": st.supersedes if isinstance(st, AmendStatement) else None,
    }
    # Integrity, first half: the disclosure leads to the digest the statement names.
    integrity: Check | None = None
    disclosed: dict[str, Any] = {}
    try:
        decoded = decode_disclosure(disclosure)
        if decoded.schema_id != st.schema_id:  # the digest would differ anyway; say why
            raise DisclosureInvalid(
                "schema-mismatch",
                f"the disclosure is {decoded.schema_id}; the statement names {st.schema_id}",
            )
        verified = read_disclosure(decoded, expected=bytes.fromhex(st.digest))
        disclosed = verified.values
    except VerificationError as exc:
        integrity = _fail(exc.reason, f"disclosure: {exc.detail}")
    # Registry and completeness: what status and issuer stand on.
    incomplete = _complete(evidence, policy, st)
    registry: Registry | None = None
    registry_problem = "the trust policy names no registry root keys"
    if policy.registry_roots:
        about_issuer = [
            (i, s)
            for i, s in sorted(evidence.entries.items())
            if isinstance(s.statement, _REGISTRY) and s.statement.issuer_id == st.issuer_id
        ]
        try:
            registry = Registry.replay(policy.registry_roots, about_issuer)
        except (VerificationFailed, RegistryConflict) as exc:
            registry_problem = f"the issuer statements do not replay: {exc}"
    # Integrity, second half: the issuer's key signed the digest.
    if integrity is None:
        integrity = _signed_digest(st, registry, registry_problem, cp)
    if registry is None:
        issuer = _fail("registry-invalid", registry_problem)
    elif incomplete is not None:
        issuer = dataclasses.replace(incomplete, reason=f"issuer not judged: {incomplete.reason}")
    else:
        issuer = _issuer(registry, signed, position)
    if registry is None:
        status = _fail("registry-invalid", f"status not judged: {registry_problem}")
    elif incomplete is not None:
        status = incomplete
    else:
        status, balances = _status(evidence, registry, st, now, mode)
        return Verdict(integrity, status, issuer, disclosed=disclosed, balances=balances, **base)
    return Verdict(integrity, status, issuer, disclosed=disclosed, **base)


def _signed_digest(
    st: IssueStatement | AmendStatement, registry: Registry | None, problem: str, cp: Checkpoint
) -> Check:
    if registry is None:
        return _fail("issuer-key-unknown", f"cannot check the digest signature: {problem}")
    try:
        key = registry.public_key(st.issuer_id, st.key_id)
        verify_digest(key, bytes.fromhex(st.digest), bytes.fromhex(st.signature))
    except VerificationError as exc:
        return _fail(exc.reason, f"issuer signature: {exc.detail}")
    return Check(
        True,
        "ok",
        f"disclosure matches digest {st.digest[:16]}…, signed by key {st.key_id} of "
        f"{st.issuer_id}, in the log at checkpoint {cp.size} accepted by the trust policy",
    )


def _issuer(registry: Registry, signed: SignedStatement, position: int) -> Check:
    st = signed.statement
    assert isinstance(st, IssueStatement | AmendStatement)
    try:
        registry.check_certificate_statement(signed, position)
    except VerificationError as exc:
        return _fail(exc.reason, exc.detail)
    except VerificationFailed as exc:
        return _fail("issuer-invalid", str(exc))
    record = registry.issuers[st.issuer_id]
    scope = f"{st.certificate_type}" + (f" under {st.agreement}" if st.agreement else "")
    return Check(
        True,
        "ok",
        f"{record.name} ({st.issuer_id}, {record.country}) was authorised for {scope} with "
        f"key {st.key_id} at log position {position}",
    )


def _status(
    evidence: _Evidence,
    registry: Registry,
    st: IssueStatement | AmendStatement,
    now: datetime,
    mode: str,
) -> tuple[Check, tuple[ItemBalance, ...]]:
    size = evidence.checkpoint.size
    about = [(i, s) for i, s in evidence.entries.items() if i < size]
    status = fold_status(st.digest, about, registry, as_of=size)
    horizon = (
        f"as of checkpoint {size} (statements after it are not known offline)"
        if mode == "offline"
        else f"as of the latest checkpoint {size}"
    )
    if status.problems:
        return _fail("status-unverifiable", "; ".join(status.problems)), status.balances
    if status.revocations:
        index, rev = status.revocations[0]
        reason = f"revoked ({rev.reason}) on {rev.revocation_date} at log position {index}"
        return _fail("revoked", reason), status.balances
    if status.superseded_by:
        index, amend = status.superseded_by[0]
        reason = f"superseded by {amend.digest[:16]}… at log position {index}"
        return _fail("superseded", reason), status.balances
    today = now.date()
    if today < st.issue_date:
        return _fail("not-yet-valid", f"valid from {st.issue_date}; today is {today}"), ()
    if today > st.valid_until:
        return _fail("expired", f"valid until {st.valid_until}; today is {today}"), ()
    over = [f for f in status.findings if f.code == "over-use"]
    if over:
        return _fail("over-used", "; ".join(f.detail for f in over)), status.balances
    remaining = ", ".join(f"item {b.sequence}: {b.remaining} {b.unit}" for b in status.balances)
    amends = (
        f"; amends {st.supersedes[:16]}… (its draw-downs count here)"
        if isinstance(st, AmendStatement)
        else ""
    )
    return (
        Check(
            True,
            "ok",
            f"not revoked or superseded {horizon}; valid {st.issue_date} to "
            f"{st.valid_until}; remaining {remaining}{amends}",
        ),
        status.balances,
    )


# ------------------------------------------------------------------ entry points


def _trusted_checkpoint(
    note: str, policy: TrustPolicy, now: datetime, mode: str, what: str
) -> Checkpoint:
    try:
        return verify_checkpoint(note, policy, now=now)
    except VerificationFailed as exc:
        code = "witness-quorum" if isinstance(exc, QuorumNotReached) else "checkpoint-untrusted"
        reason = f"{what} is not accepted by the trust policy: {'; '.join(exc.reasons)}"
        not_checked = f"not evaluated: {what} is not trusted"
        raise _Stop(
            Verdict(
                _fail(code, reason),
                _fail("not-evaluated", not_checked),
                _fail("not-evaluated", not_checked),
                mode,
            )
        ) from exc


def _parse(data: bytes, mode: str) -> ProofBundle:
    try:
        return parse_bundle(data)
    except VerificationError as exc:
        raise _Stop(_all_failed(mode, "bundle-malformed", exc.detail)) from exc


def verify_bundle(data: bytes, policy: TrustPolicy, now: datetime) -> Verdict:
    """The offline verdict on a bundle, from the bundle and the trust policy alone."""
    try:
        bundle = _parse(data, "offline")
        cp = _trusted_checkpoint(bundle.checkpoint, policy, now, "offline", "the checkpoint")
        entries = _prove_entries(bundle.entries, cp, "offline")
        evidence = _Evidence(cp, entries, bundle.index_note)
        return _evaluate(evidence, bundle.disclosure, bundle.certificate, policy, now, "offline")
    except _Stop as stop:
        return stop.verdict
    except Exception as exc:  # fail closed on anything not foreseen
        return _all_failed("offline", "internal", f"{type(exc).__name__}: {exc}")


class LogView(Protocol):
    """What online verification asks of a log or a mirror (``registry_log``)."""

    def published_note(self) -> str: ...

    def prove_consistency(self, old_size: int, new_size: int) -> list[bytes]: ...

    def evidence(self, keys: Sequence[str], size: int) -> Any: ...


def verify_online(data: bytes, log: LogView, policy: TrustPolicy, now: datetime) -> Verdict:
    """The verdict at the log's latest witnessed checkpoint.

    The bundle's checkpoint must still be log-signed and witnessed (its age no longer
    matters) and the latest checkpoint must extend it; status and issuer are judged on
    what the log holds now, so a revocation after the bundle was made is found.
    """
    try:
        bundle = _parse(data, "online")
        ageless = dataclasses.replace(policy, max_age=None)
        old = _trusted_checkpoint(bundle.checkpoint, ageless, now, "online", "the checkpoint")
        carried = _prove_entries(bundle.entries, old, "online")
        latest = _trusted_checkpoint(
            log.published_note(), policy, now, "online", "the log's latest checkpoint"
        )
        try:
            if latest.origin != old.origin:
                raise VerificationFailed(f"origin {latest.origin!r} is not {old.origin!r}")
            proof = log.prove_consistency(old.size, latest.size) if old.size else []
            if old.size:
                verify_consistency(old.size, latest.size, old.root_hash, latest.root_hash, proof)
        except (VerificationFailed, ValueError) as exc:
            not_checked = "not evaluated: the log is not consistent with the bundle"
            return Verdict(
                _fail("inconsistent-log", f"checkpoint {old.size} -> {latest.size}: {exc}"),
                _fail("not-evaluated", not_checked),
                _fail("not-evaluated", not_checked),
                "online",
                latest.size,
            )
        certificate = next((e for e in bundle.entries if e.index == bundle.certificate), None)
        if certificate is None:
            raise _Stop(
                _all_failed("online", "certificate-statement-missing", "no certificate entry")
            )
        st = parse_signed_statement(certificate.statement).statement
        if not isinstance(st, IssueStatement | AmendStatement):
            raise _Stop(_all_failed("online", "certificate-statement-missing", "not an issue"))
        # Statements never change: the chain of amendments the bundle proved is the
        # chain now, and the log lists what has been filed under it since.
        keys = evidence_keys(st, _issued_among(carried))
        found = log.evidence(keys, latest.size)
        fresh = [BundleEntry(i, raw, tuple(proof)) for i, raw, proof in found.entries]
        entries = _prove_entries(fresh, latest, "online")
        evidence = _Evidence(latest, entries, found.index_note)
        return _evaluate(evidence, bundle.disclosure, bundle.certificate, policy, now, "online")
    except _Stop as stop:
        return stop.verdict
    except Exception as exc:  # fail closed on anything not foreseen
        return _all_failed("online", "internal", f"{type(exc).__name__}: {exc}")
