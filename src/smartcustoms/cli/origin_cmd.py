"""CLI: verifiable certificates of origin — issuers, issuing, bundles, verifying, the
trust policy for partners, the witness and mirrors of partners' logs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from smartcustoms.cli.common import (
    emit,
    handled,
    operator,
    out,
    require_schema,
    state,
)
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput
from smartcustoms.origin import issuer_service, linkage, partners, submit_service
from smartcustoms.origin import service as origin
from smartcustoms.origin.signed_certificate import sign_certificate_file, write_package
from smartcustoms.origin.signing import generate_key_file
from smartcustoms.origin.statements import IssuerKind, RevocationReason

app = typer.Typer(no_args_is_help=True, help="Certificates of origin: issuers, issuing, "
                  "proof bundles, offline verification, witnesses and mirrors.")
issuer_app = typer.Typer(no_args_is_help=True, help="The issuer registry (root-signed).")
policy_app = typer.Typer(no_args_is_help=True, help="The trust policy partners verify with.")
witness_app = typer.Typer(no_args_is_help=True, help="Cosign partners' checkpoints.")
app.add_typer(issuer_app, name="issuer")
app.add_typer(policy_app, name="policy")
app.add_typer(witness_app, name="witness")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the {what} {path}: {exc.strerror}", field=what,
                           value=str(path)) from None


def print_verdict(verdict: origin.VerdictOut) -> None:
    """The three answers, each with its reason."""
    head = "[green]VALID[/]" if verdict.ok else "[bold red]NOT VALID[/]"
    number = verdict.certificate_number or "?"
    out.print(f"{head} {escape(number)} ({verdict.mode}, checkpoint "
              f"{verdict.checkpoint_size})", highlight=False)
    for name in ("integrity", "status", "issuer"):
        check: origin.CheckOut = getattr(verdict, name)
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        out.print(f"  {mark} {name:<9} {escape(check.reason)}", highlight=False,
                  soft_wrap=True)


def _issuer_human(info: issuer_service.IssuerInfo) -> None:
    held = "held here" if info.key_held else "held by the issuer"
    out.print(f"issuer {escape(info.issuer_id)} ({info.kind}, {info.country}) "
              f"{info.status}; key {info.current_key_id} ({held}); log position "
              f"{info.position}", highlight=False)


# --------------------------------------------------------------------------- setup


@app.command("init")
def init_command(
    ctx: typer.Context,
    log_origin: Annotated[str | None, typer.Option(
        "--log-origin", help="The log's name (host.example/origin): in every checkpoint.")]
    = None,
    country: Annotated[str | None, typer.Option(help="This administration's country (ISO "
                                                "code): utilisations are recorded under it.")]
    = None,
) -> None:
    """Generate the root, log and witness keys (once) and set the log's name and country
    (only while the log is empty)."""
    st = state(ctx)
    with handled(st):
        report = origin.setup(st.settings, log_origin=log_origin, country=country)
    data = {"directory": report.directory, "created_keys": list(report.created_keys),
            "log_origin": report.config.log_origin, "country": report.config.country}
    emit(st, data, lambda: out.print(
        f"origin log {report.config.log_origin} ({report.config.country}) in "
        f"{report.directory}; keys created: {', '.join(report.created_keys) or 'none'}",
        highlight=False))


# -------------------------------------------------------------------------- issuers


@issuer_app.command("add")
def issuer_add(
    ctx: typer.Context,
    issuer_id: Annotated[str, typer.Argument(help="Stable id, never reused (CCPIT-SZ).")],
    name: Annotated[str, typer.Option(help="The issuer's name.")],
    country: Annotated[str, typer.Option(help="The exporting country it certifies for.")],
    kind: Annotated[IssuerKind, typer.Option(help="authority, chamber or "
                                             "registered_exporter.")] = IssuerKind.chamber,
    types: Annotated[list[str] | None, typer.Option(
        "--type", help="non_preferential and/or preferential (repeat).")] = None,
    agreements: Annotated[list[str] | None, typer.Option(
        "--agreement", help="RCEP, EU_GSP (repeat; preferential only).")] = None,
    public_key: Annotated[str | None, typer.Option(
        "--public-key", help="The issuer's own public key (ed25519:…, from `origin keygen` "
        "on its machine): no private key is generated or kept here.")] = None,
) -> None:
    """Register an issuer: its key (its own, or one generated and held here); the root
    key signs the statement."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        data = issuer_service.IssuerCreate.model_validate({
            "issuer_id": issuer_id, "kind": kind, "name": name, "country": country,
            "certificate_types": types or ["non_preferential"],
            "agreements": agreements or [], "public_key": public_key})
        with unit_of_work(st.sessions) as session:
            info = issuer_service.add_issuer(session, st.settings, data, actor=operator(),
                                     now=st.clock())
    emit(st, info, lambda: _issuer_human(info))


@issuer_app.command("rotate")
def issuer_rotate(
    ctx: typer.Context,
    issuer_id: Annotated[str, typer.Argument()],
    public_key: Annotated[str | None, typer.Option(
        "--public-key", help="The issuer's own new public key (ed25519:…): nothing is "
        "generated or kept here.")] = None,
) -> None:
    """A new key for the issuer; the current one is retired."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            info = issuer_service.rotate_issuer_key(session, st.settings, issuer_id,
                                                    public_key=public_key, actor=operator(),
                                                    now=st.clock())
    emit(st, info, lambda: _issuer_human(info))


@issuer_app.command("revoke")
def issuer_revoke(
    ctx: typer.Context,
    issuer_id: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option(help="Why, for the record.")],
    compromised_from: Annotated[int | None, typer.Option(
        help="Its key was compromised from this log position: what it signed since fails.")]
    = None,
) -> None:
    """Revoke an issuer from now on (and, compromised, its key from a past position)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            info = issuer_service.revoke_issuer(session, st.settings, issuer_id, reason=reason,
                                        compromised_from=compromised_from,
                                        actor=operator(), now=st.clock())
    emit(st, info, lambda: _issuer_human(info))


@issuer_app.command("list")
def issuer_list(ctx: typer.Context) -> None:
    """The registered issuers."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            issuers = issuer_service.list_issuers(session)

    def human() -> None:
        table = Table("issuer", "kind", "country", "scope", "key", "status")
        for i in issuers:
            table.add_row(escape(i.issuer_id), i.kind, i.country,
                          ", ".join(i.certificate_types + i.agreements),
                          (i.current_key_id or "-") + ("" if i.key_held else " (not held)"),
                          i.status)
        out.print(table)

    emit(st, [i.model_dump(mode="json") for i in issuers], human)


# --------------------------------------------------------------------- certificates


def _issued_human(info: origin.CertificateInfo, verb: str = "issued") -> None:
    out.print(f"{verb} {escape(info.number)}: digest {info.digest}, leaf index "
              f"{info.leaf_index}, QR {info.qr_payload}", highlight=False, soft_wrap=True)


@app.command("issue")
def issue_command(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(
        help="The certificate as JSON (signed here with the issuer's key held here).")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="The issuer's id.")] = None,
    signed: Annotated[Path | None, typer.Option(
        "--signed", help="A package the issuer signed itself (`origin sign`): checked, "
        "then appended. Instead of FILE and --issuer.")] = None,
) -> None:
    """Issue a certificate: salted commitments, the issuer's signature, a log statement."""
    st = state(ctx)
    with handled(st):
        if (signed is None) == (file is None) or (file is not None) != (issuer is not None):
            raise InvalidInput("give FILE with --issuer, or --signed PACKAGE alone",
                               field="signed", value=None if signed is None else str(signed))
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            if signed is not None:
                info = submit_service.submit_signed_certificate(
                    session, st.settings, _read(signed, "signed"), actor=operator(),
                    now=st.clock())
            else:
                assert file is not None and issuer is not None
                info = origin.issue_certificate(session, st.settings,
                                                _read(file, "certificate"), issuer_id=issuer,
                                                actor=operator(), now=st.clock())
    emit(st, info, lambda: _issued_human(info, "issued" if signed is None else "accepted"))


@app.command("amend")
def amend_command(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The certificate number (it stays).")],
    file: Annotated[Path, typer.Argument(help="The corrected certificate as JSON.")],
    issuer: Annotated[str | None, typer.Option(help="The issuer, if numbers clash.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why, for the audit record.")] = None,
) -> None:
    """Replace a certificate with a corrected one (an amend statement; the old one then
    verifies as superseded and its draw-downs carry over)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        data = _read(file, "certificate")
        with unit_of_work(st.sessions) as session:
            info = submit_service.amend_certificate(
                session, st.settings, number, data, reason=reason, actor=operator(),
                now=st.clock(), issuer_id=issuer)
    emit(st, info, lambda: _issued_human(info, "amended"))


# ------------------------------------------------------- on the issuer's machine


@app.command("keygen")
def keygen_command(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--out", help="The private key file to create "
                                         "(0600; never overwritten).")],
) -> None:
    """Generate an issuer's own Ed25519 key; print the public key to register
    (`origin issuer add --public-key`). Keep the file: it never leaves this machine."""
    st = state(ctx)
    with handled(st):
        info = generate_key_file(output)
    emit(st, {"key_file": str(info.private_path), "key_id": info.key_id,
              "public_key": info.public_key},
         lambda: out.print(f"{info.public_key}\nkey id {info.key_id}; private key in "
                           f"{escape(str(info.private_path))}", highlight=False))


@app.command("sign")
def sign_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The certificate as JSON.")],
    issuer: Annotated[str, typer.Option("--issuer", help="Your issuer id.")],
    key: Annotated[Path, typer.Option("--key", help="Your private key (`origin keygen`).")],
    output: Annotated[Path, typer.Option("--out", help="The signed package to write "
                                         "(0600: it holds the salts; never overwritten).")],
    supersedes: Annotated[str | None, typer.Option(
        help="Sign an amendment replacing the certificate with this digest (hex).")] = None,
) -> None:
    """Commit and sign a certificate with your own key, without a database; submit the
    package with `origin issue --signed` or POST /api/v1/origin/certificates/signed."""
    st = state(ctx)
    with handled(st):
        package = sign_certificate_file(_read(file, "certificate"), issuer_id=issuer,
                                        key_path=key, supersedes=supersedes)
        write_package(output, package)
    made = package.statement
    emit(st, {"file": str(output), "number": made.certificate_number, "digest": made.digest,
              "type": made.type, "key_id": made.key_id},
         lambda: out.print(f"signed {made.type} of {escape(made.certificate_number)}: digest "
                           f"{made.digest}, key {made.key_id}; package in "
                           f"{escape(str(output))}", highlight=False, soft_wrap=True))


@app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="Certificate number.")],
    reason: Annotated[RevocationReason, typer.Option(help="Why.")],
    issuer: Annotated[str | None, typer.Option(help="The issuer, if numbers clash.")] = None,
) -> None:
    """Revoke a certificate (a revocation statement in the log)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            info = origin.revoke_certificate(session, st.settings, number, reason=reason,
                                             actor=operator(), now=st.clock(),
                                             issuer_id=issuer)
    emit(st, info, lambda: out.print(
        f"revoked {escape(number)} ({info.revocation_reason}) at log position "
        f"{info.revoked_at}", highlight=False))


def _decimal(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{name} must be a decimal number", field=name, value=text) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{name} must be positive", field=name, value=text)
    return value


@app.command("utilise")
def utilise_command(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="Certificate number.")],
    declaration: Annotated[str, typer.Option(help="Declaration reference (MRN or id).")],
    item: Annotated[int, typer.Option(min=1, help="Certificate goods item number.")],
    quantity: Annotated[str, typer.Option(help="Quantity drawn, in the item's unit.")],
) -> None:
    """Draw a quantity of a certificate item for an import declaration."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        amount = _decimal(quantity, "quantity")
        with unit_of_work(st.sessions) as session:
            info = origin.utilise(session, st.settings, number, declaration_reference=declaration,
                                  item=item, quantity=amount, actor=operator(),
                                  now=st.clock())

    def human() -> None:
        out.print(f"drew {amount} of item {item} of {escape(number)} for "
                  f"{escape(declaration)} (log position {info.position})", highlight=False)
        for b in info.balances:
            out.print(f"  item {b.sequence}: {b.remaining} of {b.declared} {b.unit} remain",
                      highlight=False)

    emit(st, info, human)


@app.command("prove")
def prove_command(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="Certificate number.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Bundle file to write.")],
    disclose: Annotated[list[str] | None, typer.Option(
        "--disclose", help="A field path to reveal, with all below it (repeat): number, "
        "importing_country, goods_items[0].hs_code … Default: the customs essentials.")]
    = None,
    issuer: Annotated[str | None, typer.Option(help="The issuer, if numbers clash.")] = None,
) -> None:
    """Write a proof bundle revealing only the chosen fields."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            data = origin.make_certificate_bundle(
                session, st.settings, number, disclose=disclose or origin.DEFAULT_DISCLOSURE,
                actor=operator(), now=st.clock(), issuer_id=issuer)
        output.write_bytes(data)
    emit(st, {"number": number, "bundle": str(output), "bytes": len(data)},
         lambda: out.print(f"bundle of {escape(number)} written to {escape(str(output))} "
                           f"({len(data):,} bytes)", highlight=False))


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Argument(help="The proof bundle.")],
    policy: Annotated[Path | None, typer.Option(
        help="A trust-policy file: verify offline with it alone. Without it: offline "
        "with this administration's policy, then online against its log.")] = None,
) -> None:
    """Three answers — integrity, status, issuer — each with its reason; exit code 10
    when any fails."""
    st = state(ctx)
    with handled(st):
        data = _read(bundle, "bundle")
        if policy is not None:
            report = origin.verify_policy_file(data, str(policy), now=st.clock())
        else:
            report = origin.verify_local(st.settings, data, actor=operator(), now=st.clock())

    def human() -> None:
        print_verdict(report.offline)
        if report.online is not None:
            print_verdict(report.online)

    emit(st, report, human)
    if not report.ok:
        raise typer.Exit(10)


@policy_app.command("export")
def policy_export(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write; "
                                                "default: standard output.")] = None,
) -> None:
    """The trust-policy file for partner administrations (public keys only)."""
    st = state(ctx)
    with handled(st):
        text = origin.export_policy(st.settings)
        if output is not None:
            output.write_text(text, encoding="utf-8")
    if output is None and not st.json:
        out.print(text, end="", highlight=False, markup=False)
        return
    emit(st, {"policy": text, "file": str(output) if output else None},
         lambda: out.print(f"trust policy written to {escape(str(output))}", highlight=False))


# --------------------------------------------------------------------- partners


@witness_app.command("follow")
def witness_follow(
    ctx: typer.Context,
    policy: Annotated[Path, typer.Argument(help="The partner's trust-policy file.")],
) -> None:
    """Cosign the checkpoints of the log a partner's policy names."""
    st = state(ctx)
    with handled(st):
        followed = partners.follow_log(st.settings, policy)
    emit(st, followed, lambda: out.print(f"the witness follows {followed.log_origin}",
                                         highlight=False))


@witness_app.command("serve")
def witness_serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8009,
) -> None:
    """Serve only the witness (POST /origin/witness/add-checkpoint) and this
    administration's log tiles (GET /origin/log/...). `smartcustoms serve` serves both
    as well, beside the API."""
    st = state(ctx)
    import uvicorn

    from smartcustoms.http.routers.origin import create_witness_app

    with handled(st):
        app_ = create_witness_app(st.settings)
    out.print(f"witness on [bold]http://{host}:{port}/origin/witness/add-checkpoint[/]",
              highlight=False)
    uvicorn.run(app_, host=host, port=port, log_level="info")


@app.command("mirror")
def mirror_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The partner log's tlog-tiles URL "
                                          "(https://…/origin/log) or directory.")],
    dest: Annotated[Path, typer.Argument(help="Local directory of the copy.")],
    policy: Annotated[Path, typer.Option(help="The partner's trust-policy file.")],
) -> None:
    """Copy a partner's log, verified hash by hash, up to its published checkpoint."""
    st = state(ctx)
    with handled(st):
        report = partners.mirror_log(source, dest, policy, now=st.clock())
    emit(st, report, lambda: out.print(
        f"mirrored {report.log_origin} up to size {report.size} in {escape(str(dest))}",
        highlight=False))


@app.command("link")
def link_command(
    ctx: typer.Context,
    declaration: Annotated[str, typer.Argument(help="Declaration id.")],
    bundle: Annotated[Path, typer.Argument(help="The certificate's proof bundle.")],
) -> None:
    """Verify a certificate for a declaration, draw its quantities, record the outcome
    (a failed link is a risk finding); exit code 10 when it fails."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        data = _read(bundle, "bundle")
        with unit_of_work(st.sessions) as session:
            link = linkage.link_certificate(session, st.settings, declaration, data,
                                            actor=operator(), now=st.clock())

    def human() -> None:
        if link.online is not None:
            print_verdict(link.online)
        mark = "[green]ok[/]  " if link.declaration.ok else "[red]FAIL[/]"
        out.print(f"  {mark} {'goods':<9} {escape(link.declaration.reason)}",
                  highlight=False, soft_wrap=True)
        for d in link.drawn:
            out.print(f"  drew {d.value} {d.unit} of certificate item {d.certificate_item} "
                      f"for item {d.declaration_item}", highlight=False)

    emit(st, link, human)
    if not link.ok:
        raise typer.Exit(10)


__all__ = ["app", "print_verdict"]
