"""Proof bundles: one certificate, verifiable offline with only a trust-policy file.

A bundle is RFC 8785 canonical JSON with six members:

    {"certificate": 17,                      leaf index of the issue (or amend) statement
     "checkpoint": "<signed note>",          witnessed checkpoint every proof leads to
     "disclosure": "<base64url>",            compact disclosure (see ``compact``)
     "entries": [{"i": 3, "proof": "<base64url>", "statement": {...}}, ...],
     "format": "smartcustoms/origin/bundle/v1",
     "index": "<signed note>"}               the log's list of entries (see ``index_note``)

``entries`` holds, in log order, every statement filed under the certificate's digest
(its issue, amendments superseding it, revocations, utilisations), under each digest it
amends (their draw-downs carry over) and under its issuer (added, keys rotated or revoked,
revoked) below the checkpoint size, each with its
inclusion proof (concatenated 32-byte hashes). The statements are embedded as JSON
objects: canonical JSON of a canonical object is its exact log bytes, so the leaf hash
is recomputed without a second encoding.

Why JSON and not a binary container: the statements are JSON already and the notes are
text, so a binary frame would save only the base64 of proofs and disclosure (about a
quarter of them) while costing a second parser. Hashes are base64url (43 characters,
not 64 hex), and nothing recomputable is carried: no leaf hashes, no paths, no digest
(the disclosure gives it, the statement states it).

What the bundle proves about status is bounded by its checkpoint: a revocation
sequenced after it is not in the bundle. ``verify_online`` closes that gap.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import rfc8785

from smartcustoms.errors import NotFound
from smartcustoms.origin.checkpoint import parse_checkpoint
from smartcustoms.origin.commitments import CommittedCertificate, disclose
from smartcustoms.origin.compact import encode_disclosure
from smartcustoms.origin.merkle import HASH_SIZE
from smartcustoms.origin.models import OriginInputInvalid, VerificationError, load_json_strict
from smartcustoms.origin.note import parse_note
from smartcustoms.origin.statement_index import digest_key, issuer_key
from smartcustoms.origin.statements import AmendStatement, IssueStatement, SignedStatement

BUNDLE_FORMAT = "smartcustoms/origin/bundle/v1"
MAX_BUNDLE_BYTES = 256 * 1024
MAX_ENTRIES = 1000
_MEMBERS = {"certificate", "checkpoint", "disclosure", "entries", "format", "index"}
_ENTRY_MEMBERS = {"i", "proof", "statement"}


class BundleInvalid(VerificationError):
    code = "origin-bundle-invalid"
    title = "The proof bundle is not well formed"


class CertificateNotLogged(NotFound):
    code = "origin-certificate-not-logged"
    title = "The certificate is not in the log as of the published checkpoint"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, field: str) -> bytes:
    """Unpadded base64url, one spelling per byte string."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BundleInvalid("malformed", f"{field} is not base64url", field=field) from exc
    if b64url(raw) != text:
        raise BundleInvalid("malformed", f"{field} is not canonical base64url", field=field)
    return raw


@dataclasses.dataclass(frozen=True, slots=True)
class BundleEntry:
    index: int
    statement: bytes  # the exact log entry (canonical JSON of a SignedStatement)
    proof: tuple[bytes, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ProofBundle:
    checkpoint: str
    index_note: str
    certificate: int
    disclosure: bytes
    entries: tuple[BundleEntry, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate": self.certificate,
            "checkpoint": self.checkpoint,
            "disclosure": b64url(self.disclosure),
            "entries": [
                {
                    "i": e.index,
                    "proof": b64url(b"".join(e.proof)),
                    "statement": json.loads(e.statement),
                }
                for e in self.entries
            ],
            "format": BUNDLE_FORMAT,
            "index": self.index_note,
        }

    def to_bytes(self) -> bytes:
        return rfc8785.dumps(self.to_json())


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of JSON without fractions, via the C encoder when it agrees.

    For strings, integers below 2**53, lists and objects, sorted compact ``json.dumps``
    escapes exactly as RFC 8785 does; the two differ only in key order when keys hold
    characters beyond the BMP, which the pure-Python ``rfc8785`` settles. A bundle is
    serialised several times per verification, so this is most of its parse time.
    """
    try:
        fast = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if fast.isascii() or max(fast) < "\ud800":
            return fast.encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        pass
    return rfc8785.dumps(value)


def _expect(condition: bool, detail: str, field: str) -> None:
    if not condition:
        raise BundleInvalid("malformed", detail, field=field)


def _index(value: object, field: str) -> int:
    _expect(type(value) is int and 0 <= value < 2**53, f"{field} must be a leaf index", field)
    return value  # type: ignore[return-value]


def parse_bundle(data: bytes) -> ProofBundle:
    """A bundle from its bytes: canonical JSON, known members only, or ``BundleInvalid``."""
    _expect(isinstance(data, bytes), "a bundle is bytes", "bundle")
    _expect(
        len(data) <= MAX_BUNDLE_BYTES, f"a bundle is at most {MAX_BUNDLE_BYTES} bytes", "bundle"
    )
    try:
        raw = load_json_strict(data, error=OriginInputInvalid)
    except OriginInputInvalid as exc:
        raise BundleInvalid("malformed", f"not JSON: {exc.detail}", field="bundle") from exc
    _expect(isinstance(raw, dict), "a bundle is a JSON object", "bundle")
    _expect(set(raw) == _MEMBERS, f"members must be exactly {sorted(_MEMBERS)}", "bundle")
    _expect(raw["format"] == BUNDLE_FORMAT, f"format must be {BUNDLE_FORMAT}", "format")
    try:
        canonical = canonical_json(raw)
    except (rfc8785.CanonicalizationError, ValueError, TypeError) as exc:
        raise BundleInvalid("malformed", f"not canonicalisable: {exc}", field="bundle") from exc
    _expect(canonical == data, "a bundle must be RFC 8785 canonical JSON", "bundle")
    for name in ("checkpoint", "index", "disclosure"):
        _expect(isinstance(raw[name], str) and raw[name] != "", f"{name} must be text", name)
    entries = raw["entries"]
    _expect(
        isinstance(entries, list) and 0 < len(entries) <= MAX_ENTRIES,
        f"entries must be a list of 1 to {MAX_ENTRIES}",
        "entries",
    )
    out: list[BundleEntry] = []
    for n, item in enumerate(entries):
        where = f"entries[{n}]"
        _expect(isinstance(item, dict) and set(item) == _ENTRY_MEMBERS, f"{where} members", where)
        proof = (
            b64url_decode(item["proof"], f"{where}.proof")
            if isinstance(item["proof"], str)
            else None
        )
        _expect(proof is not None and len(proof) % HASH_SIZE == 0, f"{where}.proof", where)
        assert proof is not None
        _expect(isinstance(item["statement"], dict), f"{where}.statement is an object", where)
        out.append(
            BundleEntry(
                _index(item["i"], f"{where}.i"),
                canonical_json(item["statement"]),
                tuple(proof[i : i + HASH_SIZE] for i in range(0, len(proof), HASH_SIZE)),
            )
        )
    indexes = [e.index for e in out]
    _expect(indexes == sorted(set(indexes)), "entries must ascend by index, once each", "entries")
    return ProofBundle(
        raw["checkpoint"],
        raw["index"],
        _index(raw["certificate"], "certificate"),
        b64url_decode(raw["disclosure"], "disclosure"),
        tuple(out),
    )


# ------------------------------------------------------------------------- making


MAX_AMENDMENTS = 100  # a longer chain of amendments is not followed (and fails closed)


def evidence_keys(
    certificate: IssueStatement | AmendStatement,
    issued: Callable[[str], IssueStatement | AmendStatement | None],
) -> list[str]:
    """The statement-index keys a certificate's evidence covers: its digest, its issuer,
    and the digest of every certificate it amends, back to the first issue, so that the
    draw-downs on those carry over to it. ``issued`` finds a digest's issue or amend
    statement (in the log, or among a bundle's proven entries)."""
    keys = [digest_key(certificate.digest), issuer_key(certificate.issuer_id)]
    seen = {certificate.digest}
    current: IssueStatement | AmendStatement | None = certificate
    while isinstance(current, AmendStatement) and current.supersedes not in seen:
        if len(seen) > MAX_AMENDMENTS:
            break
        seen.add(current.supersedes)
        keys.append(digest_key(current.supersedes))
        current = issued(current.supersedes)
    return keys


class EvidenceSource(Protocol):
    """What a bundle is made from: ``registry_log.CertificateLog`` (or a mirror view)."""

    def published_note(self) -> str: ...

    def lookup(self, key: str, size: int | None = None) -> list[int]: ...

    def read_statement(self, index: int) -> SignedStatement: ...

    def evidence(self, keys: Sequence[str], size: int) -> Any: ...


def make_bundle(
    log: EvidenceSource,
    committed: CommittedCertificate,
    *,
    disclose_paths: Iterable[str],
    checkpoint_note: str | None = None,
) -> bytes:
    """The bundle of a committed certificate against the log's published checkpoint.

    The holder's ``committed`` certificate (with its salts) is needed: the log has only
    the digest. ``disclose_paths`` are revealed with everything below them.
    """
    note = checkpoint_note if checkpoint_note is not None else log.published_note()
    checkpoint = parse_checkpoint(parse_note(note).text)
    digest = committed.digest.hex()

    def find(wanted: str) -> tuple[int, IssueStatement | AmendStatement] | None:
        for index in log.lookup(digest_key(wanted), checkpoint.size):
            st = log.read_statement(index).statement
            if isinstance(st, IssueStatement | AmendStatement) and st.digest == wanted:
                return index, st
        return None

    found = find(digest)
    if found is None:
        raise CertificateNotLogged(
            f"digest {digest} is not issued below the checkpoint size {checkpoint.size}; "
            "commit, cosign and publish first",
            value=digest,
        )
    position, issued = found

    def statement_of(wanted: str) -> IssueStatement | AmendStatement | None:
        hit = find(wanted)
        return None if hit is None else hit[1]

    evidence = log.evidence(evidence_keys(issued, statement_of), checkpoint.size)
    bundle = ProofBundle(
        note,
        evidence.index_note,
        position,
        encode_disclosure(disclose(committed, disclose_paths)),
        tuple(BundleEntry(i, raw, proof) for i, raw, proof in evidence.entries),
    )
    return bundle.to_bytes()
