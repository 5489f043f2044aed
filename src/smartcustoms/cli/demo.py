"""`smartcustoms demo`: the embedded default, set up end to end on the bundled data."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from smartcustoms import identity
from smartcustoms.cli.common import State, operator, out
from smartcustoms.cli.declarations_cmd import run_import
from smartcustoms.db import unit_of_work, upgrade
from smartcustoms.errors import Conflict
from smartcustoms.identity import Role
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.risk.outcomes import OutcomeColumns

if TYPE_CHECKING:
    from smartcustoms.cli.transit_demo import LiveSetup
    from smartcustoms.documents.generate import GeneratedDocument

# The sample's outcome columns, kept beside the declared data at import.
KCS_OUTCOMES = OutcomeColumns(irregular="Fraud", critical="Critical Fraud",
                              critical_values=frozenset({"2"}))
KCS_FILES = ("df_syn_train_eng.csv", "df_syn_valid_eng.csv", "df_syn_test_eng.csv")

# Demo users: (username, role, company). The trader acts for one importer of the sample.
DEMO_USERS = (
    ("admin", Role.admin, None),
    ("officer", Role.officer, None),
    ("analyst", Role.analyst, None),
    ("supervisor", Role.supervisor, None),  # sets the lane settings
    ("trader", Role.trader, "QLRUBN9"),
)


def run_risk_demo(st: State) -> None:
    """Outcomes from the sample, the honest evaluation on its official split, a model."""
    from smartcustoms.cli.risk_cmd import print_evaluation
    from smartcustoms.risk import service
    from smartcustoms.risk.evaluate import Window
    from smartcustoms.risk.outcomes import record_source_outcomes

    with unit_of_work(st.sessions) as session:
        outcomes = record_source_outcomes(session, KCS_OUTCOMES, actor=operator(),
                                          now=st.clock())
    out.print(f"inspection outcomes from the sample: {outcomes.recorded:,} recorded, "
              f"{outcomes.already_recorded:,} already there", highlight=False)
    out.print("[bold]risk targeting[/]: train 2020, validate 2021-Q1, test 2021-Q2 "
              "(the data set's official split), beside the paper's baselines:")
    with st.sessions() as session:
        report = service.run_evaluation(
            session, actor=operator(), train=Window(dt.date(2020, 1, 1), dt.date(2020, 12, 31)),
            valid=Window(dt.date(2021, 1, 1), dt.date(2021, 3, 31)),
            test=Window(dt.date(2021, 4, 1), dt.date(2021, 6, 30)))
    print_evaluation(report)
    with unit_of_work(st.sessions) as session:
        version, _ = service.train_model(session, actor=operator(), now=st.clock())
        if version.status != "promoted":
            version = service.promote_model(session, version.id, actor=operator(),
                                            now=st.clock())
    out.print(f"risk model {version.id} trained on {version.train} and promoted "
              f"(sha256 {version.content_sha256[:16]}…)", highlight=False)
    from smartcustoms.risk.lanes import decide_lanes

    week = Window(dt.date(2021, 6, 24), dt.date(2021, 6, 30))
    with unit_of_work(st.sessions) as session:  # under the lane settings in force
        lanes = decide_lanes(session, week, actor=operator(), now=st.clock())
    counts = ", ".join(f"{lane} {n:,}" for lane, n in sorted(lanes.lanes.items()))
    out.print(f"lanes for {week}: {counts or 'already decided'} "
              "(officers' queue: GET /api/v1/risk/queue)", highlight=False)
    with st.sessions() as session:
        top = service.score_window(session, week, actor=operator(), top=3)
    for i, d in enumerate(top.ranked, 1):
        out.print(f"  {i}. {d.reference} P(irregular) {d.probability:.3f}: "
                  f"{d.reasons[0].text if d.reasons else ''}", highlight=False)


DEMO_DECLARATION = SAMPLES_DIR / "declarations" / "hs2022_described.json"
TARIFF_EXAMPLES = (
    "Milk chocolate bar with hazelnuts, 100 g, in a printed wrapper",
    "Flexible tubes of polyamide for the compressed-air brakes of trucks",
    "Women's cotton T-shirts, knitted, short sleeves",
)


def run_tariff_demo(st: State) -> None:
    """A tariff model (trained on the shipped rulings the first time), suggestions with
    their evidence, and the verification of a submitted declaration's codes."""
    import json

    from smartcustoms import declarations as decl
    from smartcustoms import tariff
    from smartcustoms.cli.tariff_cmd import active_classifier, classifiers, train_version

    with st.sessions() as session:
        versions = tariff.list_models(session, actor=operator())
    if not any(v.status == "active" for v in versions):
        version = train_version(st, activate=True)
        out.print(f"[bold]tariff classification[/]: model {version.id} trained on "
                  f"{version.precedent_count:,} rulings (EU BTI, Korea Customs) and the HS 2022 "
                  f"+ CN 2023 texts and Korea's HSK names", highlight=False)
    classifier = active_classifier(st)
    for text in TARIFF_EXAMPLES:
        best = classifier.suggest(text, k=3)
        top = best[0]
        near = (f"; nearest ruling {top.precedents[0].ref} ({top.precedents[0].code})"
                if top.precedents else "")
        out.print(f"  {text!r} → [bold]{top.hs6[:4]}.{top.hs6[4:]}[/] p {top.probability:.2f} "
                  f"({top.path[-1].text[:50]}){near}", highlight=False)
    data = json.loads(DEMO_DECLARATION.read_text(encoding="utf-8"))
    with unit_of_work(st.sessions) as session:
        submitted = decl.submit_declaration(session, data, actor=operator(), now=st.clock())
    declaration_id = submitted.declaration.id
    with unit_of_work(st.sessions) as session:
        checks = tariff.check_declaration(classifiers(), session, st.settings,
                                          declaration_id, now=st.clock())
    out.print(f"declared codes of {data['reference']} verified "
              f"(console: /declarations/{declaration_id}#tariff):", highlight=False)
    for c in checks:
        better = f", better {c.better[0]['hs6']}" if c.better else ""
        out.print(f"  item {c.item_sequence}: {c.declared} {c.verdict} "
                  f"(p {c.probability:.2f}{better})", highlight=False)


LISTED_CARRIER_DECLARATION = SAMPLES_DIR / "declarations" / "hs2022_listed_carrier.json"
SCREENING_EXAMPLES = (
    ("Banco Nacional de Kuba", None),  # a typo
    ("Muammar Gadafi", "person"),  # another transliteration, reversed order
    ("Hanse Customs Brokers GmbH", None),  # not listed
)


def run_compliance_demo(st: State) -> None:
    """Valuation bands on the imported history, then sanctions screening: the shipped
    OFAC snapshot, a few searches, and the screening of two submitted declarations."""
    import json

    from smartcustoms import declarations as decl
    from smartcustoms.cli.documents_cmd import fit_and_check
    from smartcustoms.screening import service as screening

    version, counts = fit_and_check(st)
    summary = ", ".join(f"{c} {s['bands']:,} bands" for c, s in version.summary.items())
    out.print(f"[bold]valuation bands[/] #{version.id} on {version.fit_start} to "
              f"{version.fit_end} ({summary}): {counts['below_band']:,} of {counts['items']:,} "
              f"stored items below their band" if counts else "", highlight=False)
    with unit_of_work(st.sessions) as session:
        loaded = screening.ensure_default_list(session, now=st.clock())
    screeners = screening.Screeners()
    with st.sessions() as session:
        info = next(v for v in screening.list_versions(session) if v.status == "active")
        results = screening.search(screeners, session, [
            screening.PartyIn(name=n, kind=k) for n, k in SCREENING_EXAMPLES],  # type: ignore[arg-type]
            actor=operator())
    out.print(f"[bold]sanctions screening[/] against {info.source} {info.version} "
              f"({info.entry_count:,} entries{', just loaded' if loaded else ''}; a dated "
              "snapshot — load the current list with `smartcustoms screening update`):",
              highlight=False)
    for result in results:
        top = result.hits[0] if result.hits else None
        out.print(f"  {result.query.name!r} → " + (
            f"[bold]{top.entry_name}[/] ({top.source}/{top.entry_id}, {', '.join(top.programs)}) "
            f"score {top.score:.2f}" if top else "no hit"), highlight=False)
    with unit_of_work(st.sessions) as session:
        counts = screening.rescreen(screeners, session, now=st.clock(), only_unscreened=True)
    ids = []
    for path in (DEMO_DECLARATION, LISTED_CARRIER_DECLARATION):
        data = json.loads(path.read_text(encoding="utf-8"))
        with unit_of_work(st.sessions) as session:
            ids.append(decl.submit_declaration(session, data, actor=operator(),
                                               now=st.clock()).declaration.id)
    with unit_of_work(st.sessions) as session:
        screened = [screening.screen_declaration(screeners, session, i, now=st.clock())
                    for i in ids]
    out.print(f"  {counts['declarations']:,} stored declarations screened "
              f"({counts['with_named_parties']:,} name their parties)", highlight=False)
    for result in screened:
        hits = ", ".join(f"{h.party_role} {h.party_name!r} ~ {h.entry_name} ({h.score:.2f}, "
                         f"{h.status})" for h in result.hits) or "no hit"
        out.print(f"  declaration {result.declaration_id}: {result.parties_screened} parties "
                  f"→ {hits} (console: /declarations/{result.declaration_id}#compliance)",
                  highlight=False)


def run_documents_demo(st: State) -> None:
    """A generated shipment's invoice, packing list and bill of lading, written to the data
    directory, attached to its declaration (whose declared total and a container number
    were changed) and cross-checked: the findings point at the evidence in the PDFs."""
    from smartcustoms import declarations as decl
    from smartcustoms.documents import service as documents
    from smartcustoms.documents.generate import generate_case
    from smartcustoms.tariff import Classifiers

    case = generate_case(2026, inconsistencies=["total_changed", "container_number_typo"])
    folder = st.settings.data_dir / "demo-documents"
    folder.mkdir(parents=True, exist_ok=True)
    uploads = []
    for document in case.documents:
        path = folder / f"{document.document_type}.pdf"
        path.write_bytes(document.pdf)
        uploads.append(documents.Upload(path.name, document.pdf, "application/pdf"))
    (folder / "declaration.json").write_text(case.declaration.model_dump_json(indent=2),
                                             encoding="utf-8")
    with unit_of_work(st.sessions) as session:
        declaration_id = decl.submit_declaration(
            session, case.declaration.model_dump(mode="json"), actor=operator(),
            now=st.clock()).declaration.id
    with unit_of_work(st.sessions) as session:
        classifier = documents.active_classifier(Classifiers(), session, st.settings)
        result = documents.attach_documents(session, declaration_id, uploads,
                                            actor=operator(), now=st.clock(),
                                            classifier=classifier)
    counts = ", ".join(f"{n} {s}" for s, n in result.counts.items() if n) or "none"
    out.print(f"[bold]trade documents[/] ({folder}): {len(result.files)} PDFs attached to "
              f"declaration {declaration_id}; findings: {counts}", highlight=False)
    for finding in result.findings:
        if finding.severity.value in ("high", "medium"):
            page = (f" (page {finding.document.evidence.page})"
                    if finding.document and finding.document.evidence else "")
            out.print(f"  {finding.severity.value} {finding.code}{page}: {finding.message}",
                      highlight=False)
    out.print(f"  console: /declarations/{declaration_id}#documents", highlight=False)
    out.print(f"  {read_scanned_copy(case.document('commercial_invoice'), case.seed, folder)}",
              highlight=False)


def read_scanned_copy(document: GeneratedDocument, seed: int, folder: Path) -> str:
    """The document scanned (150 dpi, turned, blurred, JPEG), written beside it and read
    through OCR: one line saying how many of its fields read as printed and how many OCR
    was unsure of and left out for review."""
    from smartcustoms.documents.evaluate import compare_documents
    from smartcustoms.documents.extract import OcrUnavailable, read_document
    from smartcustoms.documents.generate import scan_document

    scan = scan_document(document.pdf, seed=seed)
    path = folder / f"{document.document_type}-scanned.pdf"
    path.write_bytes(scan.pdf)
    started = time.perf_counter()
    try:
        reading = read_document(scan.pdf)
    except OcrUnavailable as exc:
        return f"scanned copy ({path.name}) not read: {exc}"
    seconds = time.perf_counter() - started
    outcomes = list(compare_documents(document.truth, reading.document))
    unsure = sum(p.message.startswith("OCR read this value") for p in reading.problems)
    return (f"scanned copy ({path.name}, {reading.page_count} page(s)) read through OCR in "
            f"{seconds:.1f} s: {sum(o.correct for o in outcomes)} of {len(outcomes)} fields "
            f"as printed, {unsure} left out for review")


def run_origin_demo(st: State) -> None:
    """Certificates of origin: the administration's keys, a chamber as issuer, two
    certificates, one revoked; a bundle disclosing a subset and the trust policy written
    to the data directory and verified offline, as a partner would."""
    from smartcustoms.cli.origin_cmd import print_verdict
    from smartcustoms.errors import Conflict as Exists
    from smartcustoms.origin import issuer_service
    from smartcustoms.origin import service as origin

    now = st.clock()
    setup = origin.setup(st.settings)
    out.print(f"[bold]certificates of origin[/]: log {setup.config.log_origin} in "
              f"{setup.directory} (keys created: {', '.join(setup.created_keys) or 'none'})",
              highlight=False)
    chamber = issuer_service.IssuerCreate(
        issuer_id="DEMO-CHAMBER", kind="chamber", name="Demo Chamber of Commerce",
        country="CN", certificate_types=["non_preferential", "preferential"],
        agreements=["EU_GSP"])
    with unit_of_work(st.sessions) as session:
        if all(i.issuer_id != chamber.issuer_id for i in issuer_service.list_issuers(session)):
            issuer_service.add_issuer(session, st.settings, chamber, actor=operator(), now=now)
    year = now.year
    numbers = []
    for n, (hs, quantity) in enumerate((("851762", "1000"), ("850760", "250")), 1):
        number = f"DEMO-CO-{year}-{n:04d}"
        numbers.append(number)
        certificate = {
            "number": number, "certificate_type": "preferential", "agreement": "EU_GSP",
            "issuing_authority": {"name": chamber.name, "country": "CN"},
            "exporter": {"name": "Shenzhen Bright Devices Co., Ltd.", "country": "CN"},
            "consignee": {"name": "Nordlicht Elektronik GmbH", "country": "DE"},
            "exporting_country": "CN", "importing_country": setup.config.country,
            "goods_items": [{"sequence": 1, "description": "Demo goods", "hs_code": hs,
                             "quantity": {"value": quantity, "unit": "H87"},
                             "origin_country": "CN", "origin_criterion": "W"}],
            "validity": {"issue_date": now.date().isoformat(),
                         "valid_until": (now.date() + dt.timedelta(days=365)).isoformat()}}
        with unit_of_work(st.sessions) as session:
            try:
                with session.begin_nested():
                    info = origin.issue_certificate(session, st.settings,
                                                    orjson.dumps(certificate),
                                                    issuer_id=chamber.issuer_id,
                                                    actor=operator(), now=now)
                    out.print(f"  issued {number}: leaf {info.leaf_index}, digest "
                              f"{info.digest[:16]}…", highlight=False)
            except Exists:
                pass  # a second `make demo` keeps what the first issued
    with unit_of_work(st.sessions) as session:
        if origin.get_certificate(session, numbers[1], actor=operator()).status != "revoked":
            origin.revoke_certificate(session, st.settings, numbers[1], reason="withdrawn",
                                      actor=operator(), now=now)
    folder = st.settings.data_dir / "demo-origin"
    folder.mkdir(parents=True, exist_ok=True)
    disclosed = ("number", "importing_country", "validity", "goods_items[0].hs_code",
                 "goods_items[0].quantity", "goods_items[0].origin_criterion")
    with st.sessions() as session:
        good = origin.make_certificate_bundle(session, st.settings, numbers[0],
                                              disclose=disclosed, actor=operator(), now=now)
        bad = origin.make_certificate_bundle(session, st.settings, numbers[1],
                                             disclose=disclosed, actor=operator(), now=now)
    (folder / "bundle.json").write_bytes(good)
    (folder / "revoked-bundle.json").write_bytes(bad)
    (folder / "policy.toml").write_text(origin.export_policy(st.settings), encoding="utf-8")
    out.print(f"  bundle ({len(good):,} bytes, exporter and descriptions hidden) and trust "
              f"policy written to {folder}; verified offline with the policy alone:",
              highlight=False)
    print_verdict(origin.verify_policy_file(good, str(folder / "policy.toml"), now=now).offline)
    print_verdict(origin.verify_policy_file(bad, str(folder / "policy.toml"), now=now).offline)
    out.print(f"  verify it yourself: smartcustoms origin verify {folder / 'bundle.json'} "
              f"--policy {folder / 'policy.toml'}; in the console: "
              f"http://{st.settings.host}:{st.settings.port}/console/origin", highlight=False)


def run_transit(st: State, *, live_trip: bool) -> LiveSetup | None:
    from smartcustoms.cli.transit_demo import run_transit_demo
    from smartcustoms.transit.service import TransitService

    return run_transit_demo(st, TransitService(st.sessions, st.clock), live_trip=live_trip)


def run_demo(st: State, *, live_trip: bool = False) -> LiveSetup | None:
    """Everything but serving; with ``live_trip``, a trip to drive while serving."""
    upgrade(st.engine)
    out.print(f"database: {st.settings.shown()['database_url']}", highlight=False)
    for name in KCS_FILES:
        report = run_import(st, SAMPLES_DIR / "kcs" / name, "kcs", None, None)
        out.print(f"  {name}: {report.declarations_imported:,} imported, "
                  f"{report.declarations_unchanged:,} already there, "
                  f"{report.rows_quarantined:,} quarantined", highlight=False)
    run_risk_demo(st)
    run_tariff_demo(st)
    run_compliance_demo(st)
    run_documents_demo(st)
    run_origin_demo(st)
    live = run_transit(st, live_trip=live_trip)
    password = st.settings.demo_admin_password.get_secret_value()
    with unit_of_work(st.sessions) as session:
        for username, role, company in DEMO_USERS:
            try:
                with session.begin_nested():
                    identity.create_user(
                        session, username=username, password=password, role=role,
                        company_id=company, display_name=f"Demo {role.value}",
                        actor=operator(), now=st.clock(),
                    )
            except Conflict:
                pass  # a second `make demo` keeps the users it made the first time
    out.print(f"demo logins (password [bold]{password}[/]): "
              + ", ".join(f"{u} ({r.value})" for u, r, _ in DEMO_USERS), highlight=False)
    return live
