"""Lexical vectors: TF-IDF over words (1–2-grams) and characters (3–5-grams).

Words catch the nomenclature's terms ("chocolate", "flexible tubes"); character grams
survive spelling variants, compounds and machine-translation noise ("moulded"/"molded",
"polyamide"/"polyamides"). Both are L2-normalised so a dot product is a cosine.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

_NUMBERS = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_SPACES = re.compile(r"\s+")
# Words that carry no information about what the goods are: units, packaging filler
# and the boilerplate of rulings and listings.
_FILLER = frozenset({
    "mm", "cm", "kg", "g", "ml", "l", "pcs", "pc", "piece", "pieces", "set", "sets",
    "new", "high", "quality", "product", "products", "goods", "item", "items", "used",
    "use", "type", "model", "size", "approx", "approximately", "consisting", "presented",
    "form", "made", "containing", "contains", "brand", "description",
})
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | _FILLER


def normalise(text: str) -> str:
    """Casefolded, accents stripped, numbers dropped (sizes and model numbers mislead
    far more often than they help), whitespace collapsed."""
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NUMBERS.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The content words of ``text`` as the word vectoriser sees them."""
    return [w for w in re.findall(r"(?u)\b[^\W\d_]{2,}\b", normalise(text)) if w not in STOP_WORDS]


class LexicalEncoder:
    """Two TF-IDF vectorisers fitted once on a corpus; ``transform`` gives both views."""

    def __init__(self) -> None:
        # Texts are normalised once here, not by each vectoriser.
        self.word = TfidfVectorizer(lowercase=False, token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
                                    stop_words=sorted(STOP_WORDS), ngram_range=(1, 2),
                                    sublinear_tf=True, min_df=1, dtype=np.float32)
        self.char = TfidfVectorizer(lowercase=False, analyzer="char_wb", ngram_range=(3, 5),
                                    sublinear_tf=True, min_df=2, max_features=300_000,
                                    dtype=np.float32)

    def fit_transform(self, corpus: Iterable[str]
                      ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        texts = [normalise(t) for t in corpus]
        word = self.word.fit_transform(texts).tocsr()
        char = self.char.fit_transform(texts).tocsr()
        # The terms pruned by min_df / max_features are kept only for introspection and
        # would be most of a stored model.
        for vectoriser in (self.word, self.char):
            vectoriser.__dict__.pop("stop_words_", None)
        return word, char

    def __getstate__(self) -> dict[str, object]:
        # scikit-learn notes the id() of the stop-word list on every transform: an
        # address that would make each stored model differ from a refit of the same data.
        state = dict(self.__dict__)
        for name in ("word", "char"):
            vectoriser = copy.copy(state[name])
            vectoriser.__dict__.pop("_stop_words_id", None)
            state[name] = vectoriser
        return state

    def transform(self, texts: Sequence[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        normalised = [normalise(t) for t in texts]
        return _tfidf(self.word, normalised), _tfidf(self.char, normalised)

    def matched_terms(self, query: str, document: str, limit: int = 8) -> list[str]:
        """Content words (and word pairs) the two texts share, most informative first."""
        analyse = self.word.build_analyzer()
        shared = set(analyse(normalise(query))) & set(analyse(normalise(document)))
        vocabulary, idf = self.word.vocabulary_, self.word.idf_
        ranked = sorted(shared, key=lambda t: (-idf[vocabulary[t]] if t in vocabulary else 0, t))
        # A pair already shown makes its single words redundant.
        shown: list[str] = []
        for term in sorted(ranked, key=lambda t: -t.count(" ")):
            if not any(term in other for other in shown):
                shown.append(term)
        shown.sort(key=lambda t: ranked.index(t))
        return shown[:limit]


def _tfidf(vectoriser: TfidfVectorizer, texts: Sequence[str]) -> sparse.csr_matrix:
    """What ``vectoriser.transform(texts)`` gives, the same steps on the same arrays,
    without scikit-learn's input checks: on a one-line query those took most of the
    transform's 2 ms (the tests compare the two on every benchmark description)."""
    analyse, vocabulary = vectoriser.build_analyzer(), vectoriser.vocabulary_
    indices: list[int] = []
    counts: list[int] = []
    indptr = [0]
    for text in texts:
        found: dict[int, int] = {}
        for term in analyse(text):
            column = vocabulary.get(term)
            if column is not None:
                found[column] = found.get(column, 0) + 1
        for column in sorted(found):  # CountVectorizer sorts each row's columns
            indices.append(column)
            counts.append(found[column])
        indptr.append(len(indices))
    data = np.asarray(counts, dtype=vectoriser.dtype)
    column_index = np.asarray(indices, dtype=np.int32)
    if vectoriser.sublinear_tf:
        np.log(data, data)
        data += 1.0
    data *= vectoriser.idf_[column_index]
    matrix = sparse.csr_matrix((data, column_index, np.asarray(indptr, dtype=np.int32)),
                               shape=(len(texts), len(vocabulary)))
    if vectoriser.norm == "l2":
        inplace_csr_row_normalize_l2(matrix)
    elif vectoriser.norm is not None:
        raise ValueError(f"norm {vectoriser.norm!r} is not supported here")
    return matrix
