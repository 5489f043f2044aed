"""Rewrite the golden vectors of tests/tariff/vectors/minilm_reference.json (step 5).

Run in the throwaway venv of the recipe:
    python golden.py FINETUNED_DIR tests/tariff/vectors/minilm_reference.json

The vectors the fine-tuned weights give the file's texts in PyTorch at full precision
(mean pooling, L2 normalisation, 128 word pieces at most): what the shipped int8 ONNX
model is tested against. The texts stay as they are.
"""

import json
import sys

import torch
import transformers
from transformers import AutoModel, AutoTokenizer


def main(source: str, path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        golden = json.load(fh)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source).eval()
    feed = tokenizer(golden["texts"], padding=True, truncation=True, max_length=128,
                     return_tensors="pt")
    with torch.no_grad():
        hidden = model(**feed).last_hidden_state
    mask = feed["attention_mask"].unsqueeze(-1).float()
    pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    golden["model"] = ("sentence-transformers/all-MiniLM-L6-v2 fine-tuned on the nomenclature "
                       "(tools/minilm/finetune.py)")
    golden["reference"] = (f"transformers {transformers.__version__}, torch {torch.__version__} "
                           "(fp32, CPU), mean pooling, L2 normalisation, 128 word pieces")
    golden["vectors"] = [[round(float(x), 6) for x in row] for row in pooled]
    lines = ["{",
             f'  "model": {json.dumps(golden["model"])},',
             f'  "reference": {json.dumps(golden["reference"])},',
             '  "texts": [' + ",\n            ".join(json.dumps(t) for t in golden["texts"])
             + "],",
             '  "vectors": [' + ",\n              ".join(json.dumps(v) for v in golden["vectors"])
             + "]",
             "}"]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    for text, row in zip(golden["texts"], golden["vectors"], strict=True):
        print(repr(text[:40]), tuple(row[:8]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
