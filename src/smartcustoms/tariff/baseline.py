"""The floor every figure is compared with: TF-IDF centroids.

Each HS6 is the centroid of its nomenclature text's vector and its training rulings'
vectors (word 1–2-grams and character 3–5-grams, cosine); a description gets the codes
of the nearest centroids. This is the method behind the data set's published floors
(EU BTI 41.6 %, KCS 49.5 % top-1 at HS6, grouped CV), rerun in the same benchmark so that
every ratio compares like with like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from smartcustoms.tariff.corpus import CodeTexts, Precedent
from smartcustoms.tariff.lexical import LexicalEncoder
from smartcustoms.tariff.model import Ranked, cosines


class CentroidBaseline:
    def fit(self, precedents: Sequence[Precedent], codes: Mapping[str, CodeTexts]
            ) -> CentroidBaseline:
        self.codes = sorted(codes)
        index = {c: i for i, c in enumerate(self.codes)}
        known = [p for p in precedents if p.hs6 in index]
        texts = [codes[c].document() for c in self.codes] + [p.text for p in known]
        self.lexical = LexicalEncoder()
        word, char = self.lexical.fit_transform(texts)
        vectors = sparse.hstack([word, char]).tocsr()
        # Rows: one per code (its text) and one per ruling, summed into its code's row.
        owner = np.concatenate([np.arange(len(self.codes)),
                                [index[p.hs6] for p in known]]).astype(np.int64)
        assign = sparse.csr_matrix((np.ones(len(owner), dtype=np.float32),
                                    (owner, np.arange(len(owner)))),
                                   shape=(len(self.codes), len(owner)))
        self.centroids = normalize(assign @ vectors).T.tocsr()  # terms × codes
        self.precedents = known
        return self

    def rank(self, texts: Sequence[str], k: int = 5) -> list[list[Ranked]]:
        word, char = self.lexical.transform(texts)
        sims = cosines(normalize(sparse.hstack([word, char]).tocsr()), self.centroids)
        out = []
        for row in sims:
            top = np.argsort(-row)[:k]
            # Cosines are not probabilities; a softmax keeps the roll-up to 4 and 2 digits
            # (which sums probabilities) meaningful.
            z = np.exp(20 * (row[top] - row[top[0]]))
            probs = z / z.sum()
            out.append([Ranked(hs6=self.codes[i], probability=float(p), score=float(row[i]))
                        for i, p in zip(top, probs, strict=True)])
        return out
