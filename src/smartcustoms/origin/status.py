"""A certificate's status folded from the statements about its digest, pure.

Both the log service (``registry_log``) and the verifier (``verify``) call
``fold_status``: the log over its own entries, the verifier over the entries a bundle
carries. A revocation or amendment counts only if the registry says its signer could
make it at its position (the issuer's key valid then, or the administration's root for
a revocation); one that does not check out is reported as a problem, never ignored,
so a verifier can fail closed on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from smartcustoms.origin.errors import VerificationFailed
from smartcustoms.origin.issuers import Registry
from smartcustoms.origin.statements import (
    AmendStatement,
    IssueStatement,
    ItemBalance,
    LedgerFinding,
    RevokeStatement,
    SignedStatement,
    UtiliseStatement,
    utilisation_ledger,
)

Entry = tuple[int, SignedStatement]


@dataclasses.dataclass(frozen=True, slots=True)
class CertificateStatus:
    digest: str
    as_of: int  # tree size the status is known for
    position: int | None  # leaf index of the issue (or amend) statement
    statement: IssueStatement | AmendStatement | None
    revocations: tuple[tuple[int, RevokeStatement], ...]
    superseded_by: tuple[tuple[int, AmendStatement], ...]
    balances: tuple[ItemBalance, ...]
    findings: tuple[LedgerFinding, ...]
    problems: tuple[str, ...]

    @property
    def issued(self) -> bool:
        return self.statement is not None

    @property
    def revoked(self) -> bool:
        return bool(self.revocations)

    @property
    def superseded(self) -> bool:
        return bool(self.superseded_by)


def _check(registry: Registry, index: int, signed: SignedStatement) -> str | None:
    try:
        registry.check_certificate_statement(signed, index)
    except VerificationFailed as exc:
        return f"statement {index} ({signed.statement.type}) does not verify: {exc}"
    return None


def fold_status(
    digest: str, entries: Sequence[Entry], registry: Registry, *, as_of: int
) -> CertificateStatus:
    """Status of ``digest`` from the entries filed under it (any order, below ``as_of``)."""
    problems: list[str] = []
    issued = [
        (i, s)
        for i, s in entries
        if isinstance(s.statement, IssueStatement | AmendStatement) and s.statement.digest == digest
    ]
    if len(issued) > 1:
        problems.append(f"{len(issued)} statements issue digest {digest}")
    position, cert = (issued[0][0], issued[0][1].statement) if issued else (None, None)
    assert cert is None or isinstance(cert, IssueStatement | AmendStatement)
    revocations: list[tuple[int, RevokeStatement]] = []
    successors: list[tuple[int, AmendStatement]] = []
    for index, signed in sorted(entries, key=lambda e: e[0]):
        st = signed.statement
        if index >= as_of:
            problems.append(f"statement {index} is beyond the tree size {as_of}")
            continue
        if isinstance(st, RevokeStatement) and st.digest == digest:
            problem = _check(registry, index, signed)
            if problem is None and cert is not None and st.issuer_id != cert.issuer_id:
                problem = f"revocation {index} is by {st.issuer_id}, not the issuer"
            if problem is None:
                revocations.append((index, st))
            else:
                problems.append(problem)
        elif isinstance(st, AmendStatement) and st.supersedes == digest:
            problem = _check(registry, index, signed)
            if problem is None and cert is not None and st.issuer_id != cert.issuer_id:
                problem = f"amendment {index} is by {st.issuer_id}, not the issuer"
            if problem is None:
                successors.append((index, st))
            else:
                problems.append(problem)
    balances: tuple[ItemBalance, ...] = ()
    findings: tuple[LedgerFinding, ...] = ()
    if cert is not None:
        # The certificate's draw-downs, and those on the certificates it amends where the
        # entries carry them (a bundle does): ``utilisation_ledger`` follows the chain
        # and counts them against the last one. Amendments superseding this certificate
        # are left out: its quantities then belong to the replacement, asked about apart.
        ledger = utilisation_ledger(
            s.statement
            for _, s in entries
            if isinstance(s.statement, IssueStatement | AmendStatement | UtiliseStatement)
            and not (isinstance(s.statement, AmendStatement) and s.statement.supersedes == digest)
        )
        balances = ledger.balances.get(digest, ())
        findings = tuple(f for f in ledger.findings if f.certificate_digest == digest)
    return CertificateStatus(
        digest,
        as_of,
        position,
        cert,
        tuple(revocations),
        tuple(successors),
        balances,
        findings,
        tuple(problems),
    )
