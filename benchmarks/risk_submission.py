"""What scoring on submission adds to `POST /api/v1/declarations` (p50 / p99).

Builds a database from the bundled KCS sample (outcomes recorded, a model trained and
promoted), then submits the same stream of declarations to two apps, one that scores
each submission (lane, reasons stored) and one that does not, alternating, in process
through FastAPI's test client. The first submission builds the scoring cache and is
reported apart. Run: `.venv/bin/python benchmarks/risk_submission.py [--n 300]`.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from fastapi.testclient import TestClient

from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, unit_of_work, upgrade, utcnow
from smartcustoms.declarations import import_file, shipped_mapping
from smartcustoms.http import create_app
from smartcustoms.identity import SYSTEM, Role, create_user
from smartcustoms.paths import SAMPLES_DIR
from smartcustoms.risk import service
from smartcustoms.risk.outcomes import OutcomeColumns, record_source_outcomes

VECTOR = Path(__file__).resolve().parents[1] / "tests/vectors/declaration_full.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="submissions per app")
    args = parser.parse_args()
    print(f"# {platform.node()}: {psutil.cpu_count()} CPUs, Python {platform.python_version()}",
          file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix="sc-submit-"))
    try:
        settings = Settings(data_dir=tmp)
        engine = make_engine(settings)
        upgrade(engine)
        sessions = session_factory(engine)
        for name in ("train", "valid", "test"):
            import_file(sessions, SAMPLES_DIR / "kcs" / f"df_syn_{name}_eng.csv", actor=SYSTEM,
                        clock=utcnow, mapping=shipped_mapping("kcs"))
        with unit_of_work(sessions) as session:
            record_source_outcomes(session, OutcomeColumns("Fraud"), actor=SYSTEM, now=utcnow())
            version, _ = service.train_model(session, actor=SYSTEM, now=utcnow())
            service.promote_model(session, version.id, actor=SYSTEM, now=utcnow())
            create_user(session, username="trader", password="bench-password", role=Role.trader,
                        company_id="DE9876543210987", display_name=None, actor=SYSTEM,
                        now=utcnow())
        engine.dispose()

        scored_app = create_app(settings, console=False)
        plain_app = create_app(settings, console=False)
        plain_app.state.ctx = dataclasses.replace(plain_app.state.ctx, scorer=None)
        base = json.loads(VECTOR.read_text(encoding="utf-8"))
        times: dict[str, list[float]] = {"scored": [], "plain": []}
        first_scored = 0.0
        with TestClient(scored_app) as scored, TestClient(plain_app) as plain:
            token = scored.post("/api/v1/auth/token", data={
                "username": "trader", "password": "bench-password"}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for i in range(args.n + 1):
                for label, client in (("scored", scored), ("plain", plain)):
                    data = copy.deepcopy(base)
                    data["reference"] = f"BENCH-{label}-{i:05d}"
                    t = time.perf_counter()
                    r = client.post("/api/v1/declarations", json=data, headers=headers)
                    elapsed = time.perf_counter() - t
                    assert r.status_code == 201, r.text
                    if i == 0 and label == "scored":
                        first_scored = elapsed
                    elif i > 0:
                        times[label].append(elapsed)
        scored_ms = np.array(times["scored"]) * 1e3
        plain_ms = np.array(times["plain"]) * 1e3
        p50 = np.percentile(scored_ms, 50) - np.percentile(plain_ms, 50)
        p99 = np.percentile(scored_ms, 99) - np.percentile(plain_ms, 99)
        print(f"submissions per app: {args.n}; first scored submission (builds the cache): "
              f"{first_scored * 1e3:.0f} ms")
        print("| app | p50 ms | p99 ms |")
        print("|---|---|---|")
        print(f"| without scoring | {np.percentile(plain_ms, 50):.1f} | "
              f"{np.percentile(plain_ms, 99):.1f} |")
        print(f"| with scoring | {np.percentile(scored_ms, 50):.1f} | "
              f"{np.percentile(scored_ms, 99):.1f} |")
        print(f"| added by scoring | {p50:.1f} | {p99:.1f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
