"""Extracted OCDS rows -> rows of the ``contracts`` table, for linked or accepted matches only.

A row is kept when its supplier's review row is ``linked`` (an identifier match) or a person accepted a
``match_key`` for it, and likewise its buyer; and when it has a start and end date (end >= start), a value
>= 0 in GBP. Every other row is returned in ``excluded`` with the reason; no commissioner or mutual is ever
invented. An accepted key may name any candidate (``role|party_key|candidate_id``), so a person can also
link an unmatched supplier by hand.

``outcome`` is ``active`` when ``end_date >= as_of``, else ``expired``. ``as_of`` is the import date, given by
the caller (services never read the wall clock); without it, the newest release date in the data is used.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mutuals.infra.build import contract_columns
from mutuals.services.ocds.extract import uk_date

__all__ = ["contract_rows", "contract_rows_report"]


def contract_rows(extracted: pd.DataFrame, matches: pd.DataFrame, accepted: set, *,
                  as_of: date | None = None) -> pd.DataFrame:
    """The contracts-table rows (see :func:`contract_rows_report` for the excluded rows and reasons)."""
    return contract_rows_report(extracted, matches, accepted, as_of=as_of)[0]


def contract_rows_report(extracted: pd.DataFrame, matches: pd.DataFrame, accepted: set, *,
                         as_of: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows in the contracts table's columns, excluded rows with ``contract_id`` and ``reason``)."""
    columns = [name for name, _ in contract_columns()["contracts"]]
    links = {role: _links(matches, role, accepted) for role in ("supplier", "buyer")}
    if as_of is None:
        dates = [d for d in (uk_date(t) for t in extracted.get("release_date", [])) if d]
        as_of = max(dates) if dates else date.min
    kept, excluded = [], []
    for row in extracted.to_dict("records"):
        contract_id = f"{row['ocid']}/{row['award_id']}/{row['supplier_index']}"
        mutual_id, why_supplier = links["supplier"](row["supplier_key"])
        commissioner_id, why_buyer = links["buyer"](row["buyer_key"])
        reasons = [r for r in (why_supplier and f"supplier {row['supplier_name']!r} {why_supplier}",
                               why_buyer and f"buyer {row['buyer_name']!r} {why_buyer}") if r]
        reasons += _data_problems(row)
        if reasons:
            excluded.append({"contract_id": contract_id, "reason": "; ".join(reasons)})
            continue
        end, max_end = row["end_date"], row["max_end_date"]
        kept.append({
            "contract_id": contract_id, "mutual_id": mutual_id, "commissioner_id": commissioner_id,
            "title": row["title"] or f"(untitled) {row['ocid']}", "service_area": row["service_area"],
            "start_date": row["start_date"], "end_date": end,
            "max_end_date": max_end if _present(max_end) and max_end >= end else None,
            "annual_value": round(float(row["annual_value"]), 2), "is_spin_out_contract": False,
            "outcome": "active" if end >= as_of else "expired",
        })
    return pd.DataFrame(kept, columns=columns), pd.DataFrame(excluded, columns=["contract_id", "reason"])


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value is not pd.NaT


def _data_problems(row: dict) -> list[str]:
    start, end, value = row["start_date"], row["end_date"], row["annual_value"]
    if not _present(start) or not _present(end):
        return ["no contract start or end date"]
    problems = ["end date before start date"] if end < start else []
    if not _present(value):
        problems.append("no value")
    elif value < 0:
        problems.append("negative value")
    if row["currency"] != "GBP":
        problems.append(f"currency {row['currency'] or 'missing'}: only GBP values are imported")
    return problems


def _links(matches: pd.DataFrame, role: str, accepted: set):
    """party_key -> (candidate id, None) when linked or accepted, else (None, why not)."""
    status = {r["party_key"]: r for r in matches[matches["role"] == role].to_dict("records")}
    chosen: dict[str, str] = {}
    for key in accepted or ():
        parts = str(key).split("|")
        if len(parts) == 3 and parts[0] == role:
            chosen[parts[1]] = parts[2]

    def link(party_key: str):
        if party_key in chosen:
            return chosen[party_key], None
        match = status.get(party_key)
        if match is None or match["status"] == "unmatched":
            return None, "has no match" + (" (no commissioner)" if role == "buyer" else "")
        if match["status"] == "linked":
            return match["candidate_id"], None
        return None, f"has a proposed {match['method']} match to {match['candidate_id']} not yet accepted"

    return link
