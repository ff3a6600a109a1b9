# Developer shortcuts. The tests need nothing but `python3 -m pytest -q` (see README).
PYTHON ?= python3

.PHONY: bench bench-quick

# The ingest benchmark on the shared kvmarm epoch (../shared/data/kvmarm-0.bundle):
# floor, full and no-op index, one-day report, memory, a 10x archive, public-inbox-index.
bench:
	$(PYTHON) benchmarks/ingest.py

# The same without the 10x archive and public-inbox-index (about 30 s).
bench-quick:
	$(PYTHON) benchmarks/ingest.py --quick
