# smartcustoms — `make demo` and `make test` work on a fresh machine (Python 3.11, make, apt).
.PHONY: demo test venv lint bench bench-ingest bench-risk bench-tariff bench-valuation \
	bench-screening bench-documents bench-origin bench-transit clean

venv:
	@scripts/venv.sh

demo: venv
	@scripts/demo.sh

test: venv
	@scripts/test.sh

lint: venv
	.venv/bin/ruff check src tests benchmarks tools
	.venv/bin/lint-imports

bench: bench-ingest bench-risk bench-tariff bench-valuation bench-screening bench-documents \
	bench-origin bench-transit

bench-ingest: venv
	scripts/bench.sh

bench-risk: venv
	.venv/bin/python benchmarks/risk.py --simulate

bench-tariff: venv
	.venv/bin/python benchmarks/tariff.py

bench-valuation: venv
	.venv/bin/python benchmarks/valuation.py

bench-screening: venv
	.venv/bin/python benchmarks/screening.py

bench-documents: venv
	.venv/bin/python benchmarks/documents.py
	.venv/bin/python benchmarks/documents.py --scanned --cases 20
	.venv/bin/python benchmarks/einvoices.py
	.venv/bin/python benchmarks/document_checks.py

bench-origin: venv
	.venv/bin/python benchmarks/origin_log.py
	.venv/bin/python benchmarks/origin_commit.py
	.venv/bin/python benchmarks/origin_bundle.py

bench-transit: venv
	.venv/bin/python benchmarks/transit.py
	.venv/bin/python benchmarks/transit_mix.py
	.venv/bin/python benchmarks/transit_service.py
	scripts/ensure-mosquitto.sh >/dev/null
	.venv/bin/python benchmarks/transit_mqtt.py --sink service
	.venv/bin/python benchmarks/transit_mqtt.py --sink service --rate 5000
	.venv/bin/python benchmarks/transit_alert_latency.py

clean:
	rm -rf var .pytest_cache .ruff_cache
