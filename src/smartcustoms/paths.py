"""Where the bundled data lives (the repository's data/ folder, installed editable)."""

from pathlib import Path

DATA_ROOT = Path(__file__).resolve().parents[2] / "data"
MAPPINGS_DIR = DATA_ROOT / "mappings"
SAMPLES_DIR = DATA_ROOT / "samples"
