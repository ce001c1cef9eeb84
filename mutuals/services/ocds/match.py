"""Match extracted suppliers to mutuals and buyers to commissioners, for a person to review.

In this order, for each distinct supplier (or buyer), keyed by its identifiers, else its normalised name:

1. **identifier** -> ``linked``: ``GB-COH`` against ``mutuals.company_number`` (both zero-padded),
   ``GB-CHC`` against ``charity_number``, ``GB-MPR`` against a ``company_number`` that is written as a society
   number (``IP12345R``, ``RS007``: the table has no society column). A buyer identifier links when its
   ``SCHEME-ID`` equals a ``commissioner_id``. An identifier shared by several candidates only proposes.
2. **name** -> ``proposed``: the normalised names (:func:`.ids.normalise_name`) are equal.
3. **fuzzy** -> ``proposed``: rapidfuzz ``token_sort_ratio`` of the normalised names >= 90.

A proposal never links by itself: :func:`mutuals.services.ocds.rows.contract_rows` uses it only when its
``match_key`` is in the accepted set.
"""

from __future__ import annotations

import pandas as pd
from rapidfuzz import fuzz, process

from mutuals.services.ocds.ids import charity_number, company_number, normalise_name, society_number

__all__ = ["FUZZY_THRESHOLD", "REVIEW_COLUMNS", "match_key", "review"]

FUZZY_THRESHOLD = 90
REVIEW_COLUMNS = ["role", "party_key", "name", "identifiers", "rows", "method", "candidate_id", "candidate_name",
                  "score", "status", "match_key", "note"]


def match_key(role: str, party_key: str, candidate_id) -> str:
    """What a person accepts: this supplier/buyer is this mutual/commissioner."""
    return f"{role}|{party_key}|{candidate_id}"


def review(rows: pd.DataFrame, mutuals: pd.DataFrame, commissioners: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct supplier and buyer, with its best candidate and status."""
    out = []
    for role, table, id_col in (("supplier", mutuals, "mutual_id"), ("buyer", commissioners, "commissioner_id")):
        index = _Index(table, id_col, role)
        if rows.empty:
            continue
        groups = rows.groupby(f"{role}_key", sort=False)
        for key, group in groups:
            first = group.iloc[0]
            found = index.find(first[f"{role}_name"], first[f"{role}_ids"])
            out.append({"role": role, "party_key": key, "name": first[f"{role}_name"],
                        "identifiers": first[f"{role}_identifiers"], "rows": len(group), **found,
                        "match_key": match_key(role, key, found["candidate_id"]) if found["candidate_id"] else None})
    return pd.DataFrame(out, columns=REVIEW_COLUMNS)


class _Index:
    def __init__(self, table: pd.DataFrame, id_col: str, role: str):
        self.names = dict(zip(table[id_col].astype(str), table["name"].astype(str)))
        self.by_id: dict[tuple[str, str], list[str]] = {}
        if role == "supplier":
            for column, scheme, convert in (("company_number", "GB-COH", company_number),
                                            ("company_number", "GB-MPR", society_number),
                                            ("charity_number", "GB-CHC", charity_number)):
                if column not in table:
                    continue
                for cid, raw in zip(table[id_col].astype(str), table[column]):
                    value = convert(raw) if isinstance(raw, str) and raw.strip() else None
                    if value:
                        self.by_id.setdefault((scheme, value), []).append(cid)
        else:
            for cid in self.names:
                self.by_id.setdefault(("ID", cid.casefold()), []).append(cid)
        self.role = role
        self.by_name: dict[str, list[str]] = {}
        for cid, name in self.names.items():
            norm = normalise_name(name)
            if norm:
                self.by_name.setdefault(norm, []).append(cid)
        self.choices = list(self.by_name)

    def _ids(self, ids) -> list[tuple[str, str]]:
        if self.role == "supplier":
            return [(s, v) for s, v in ids if s in ("GB-COH", "GB-CHC", "GB-MPR")]
        return [("ID", f"{s}-{v}".casefold()) for s, v in ids]

    def find(self, name: str, ids) -> dict:
        for key in self._ids(ids):
            hits = self.by_id.get(key, [])
            if len(hits) == 1:
                return self._result("identifier", hits[0], 100.0, "linked", f"same {key[0]} {key[1]}")
            if hits:
                return self._result("identifier", hits[0], 100.0, "proposed",
                                    f"{key[0]} {key[1]} is shared by {len(hits)} candidates: {', '.join(hits)}")
        norm = normalise_name(name)
        if not norm:
            return self._none("no usable name")
        if norm in self.by_name:
            hits = self.by_name[norm]
            note = "same normalised name" + (f" ({len(hits)} candidates: {', '.join(hits)})" if len(hits) > 1 else "")
            return self._result("name", hits[0], 100.0, "proposed", note)
        best = process.extractOne(norm, self.choices, scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_THRESHOLD)
        if best:
            return self._result("fuzzy", self.by_name[best[0]][0], round(float(best[1]), 1), "proposed",
                                f"similar name ({best[0]!r})")
        return self._none("no candidate")

    def _result(self, method, cid, score, status, note) -> dict:
        return {"method": method, "candidate_id": cid, "candidate_name": self.names[cid], "score": score,
                "status": status, "note": note}

    @staticmethod
    def _none(note) -> dict:
        return {"method": "none", "candidate_id": None, "candidate_name": None, "score": None,
                "status": "unmatched", "note": note}

