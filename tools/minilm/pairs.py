"""Write the fine-tuning pairs of the tariff sentence encoder (step 1 of its recipe).

Run with the project's own environment, from the repository root:
    .venv/bin/python tools/minilm/pairs.py PAIRS.json [NATIONAL.csv]

NATIONAL.csv: another national extension's lines instead of the shipped CN 2023 (columns
``code``, ``description``, ``hs6``, as in data/tariff/cn2023/cn2023_en.normalized.csv).

Each pair is (CN 2023 eight-digit text, the HS 2022 subheading's sentence, HS6): the
nomenclature saying the same goods twice, in the trade's words and in the subheading's.
No ruling of any set is used, so no evaluation set leaks into the encoder.
"""

import json
import sys
from pathlib import Path

from smartcustoms.tariff.corpus import code_texts


def main(out: str, national: str | None = None) -> None:
    codes = code_texts(cn_path=Path(national)) if national else code_texts()
    pairs = [(text, entry.sentence(), hs6)
             for hs6, entry in codes.items() for _, text in entry.national]
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(pairs, fh, ensure_ascii=False)
    print(f"wrote {out}: {len(pairs):,} pairs over {len({p[2] for p in pairs}):,} HS6 codes")


if __name__ == "__main__":
    main(*sys.argv[1:3])
