"""The floor every screener must beat: rapidfuzz's ``token_set_ratio`` of the query
against every list name and alias (rapidfuzz's default processing: lower case,
non-alphanumerics to spaces), best name wins. No transliteration, no legal forms, no
rarity weights. The benchmark chooses its threshold on the validation split to the same
false-hit budget as the screener's."""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz import fuzz, process, utils

from smartcustoms.screening.models import ListEntry


class TokenSetBaseline:
    def __init__(self, entries: tuple[ListEntry, ...] | list[ListEntry]) -> None:
        self.choices: list[str] = []
        self.owners: list[str] = []
        self.by_entry: dict[str, list[str]] = defaultdict(list)
        for entry in entries:
            for name in [entry.name, *(a.name for a in entry.aliases)]:
                processed = utils.default_process(name)
                self.choices.append(processed)
                self.owners.append(entry.entry_id)
                self.by_entry[entry.entry_id].append(processed)

    def best(self, query: str) -> tuple[float, str | None]:
        """The best score in [0, 1] over all list names and its entry id."""
        found = process.extractOne(utils.default_process(query), self.choices,
                                   scorer=fuzz.token_set_ratio, processor=None)
        if found is None:
            return 0.0, None
        _, score, index = found
        return score / 100.0, self.owners[index]

    def score_for(self, query: str, entry_id: str) -> float:
        """The best score of ``query`` against the names of one entry."""
        processed = utils.default_process(query)
        return max((fuzz.token_set_ratio(processed, name)
                    for name in self.by_entry.get(entry_id, ())), default=0.0) / 100.0

    def scores(self, query: str) -> dict[str, float]:
        """The best entry's score (the ``evaluate.Scorer`` shape): enough for false hits;
        ``score_for`` gives the expected entry's own score for recall."""
        score, entry_id = self.best(query)
        return {entry_id: score} if entry_id is not None else {}
