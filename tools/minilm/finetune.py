"""Fine-tune all-MiniLM-L6-v2 on the nomenclature's own pairs (step 2 of the recipe).

Run in a throwaway venv (torch, transformers), never the project's:
    python finetune.py UPSTREAM_MODEL_DIR PAIRS.json OUT_DIR

Contrastive, with the other pairs of the batch as negatives (the sentence-transformers
"multiple negatives ranking" objective, both directions): a CN text must be closer to its
own subheading's sentence than to the 31 others of its batch. A batch never holds two
pairs of one HS6, so no pair is pushed away from its own code. One epoch, AdamW, learning
rate 2e-5 with 10 % warm-up then linear decay, seed 0, two CPU threads: on the same CPU
and versions a rerun gives the same weights.
"""

import json
import random
import sys
import time

import torch
from transformers import AutoModel, AutoTokenizer

BATCH, EPOCHS, LR, SCALE, MAX_TOKENS = 32, 1, 2e-5, 20.0, 128


def batches_without_repeated_codes(pairs: list, size: int) -> list[list]:
    pool, out = list(pairs), []
    while pool:
        codes, batch, rest = set(), [], []
        for pair in pool:
            if len(batch) < size and pair[2] not in codes:
                batch.append(pair)
                codes.add(pair[2])
            else:
                rest.append(pair)
        out.append(batch)
        pool = rest
    return out


def main(source: str, pairs_file: str, out: str) -> None:
    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source)
    with open(pairs_file, encoding="utf-8") as fh:
        pairs = json.load(fh)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    steps = EPOCHS * (len(pairs) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))

    def encode(texts: list[str]) -> torch.Tensor:
        # Mean pooling over the tokens and L2 normalisation, as embedding.py does.
        feed = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS,
                         return_tensors="pt")
        hidden = model(**feed).last_hidden_state
        mask = feed["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)

    model.train()
    step, start = 0, time.time()
    for _ in range(EPOCHS):
        random.shuffle(pairs)
        for batch in batches_without_repeated_codes(pairs, BATCH):
            if len(batch) < 8:  # the last few pairs of codes with many CN lines
                continue
            anchors = encode([p[0] for p in batch])
            positives = encode([p[1] for p in batch])
            scores = SCALE * anchors @ positives.T
            labels = torch.arange(len(batch))
            loss = (torch.nn.functional.cross_entropy(scores, labels)
                    + torch.nn.functional.cross_entropy(scores.T, labels)) / 2
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 20 == 0:
                print(f"step {step}/{steps + 1} loss {loss.item():.3f} "
                      f"{time.time() - start:.0f} s", flush=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)  # for golden.py; the shipped tokenizer.json is upstream's
    print("saved", out)


if __name__ == "__main__":
    main(*sys.argv[1:4])
