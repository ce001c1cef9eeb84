"""Compiled releases -> one row per (ocid, award, supplier), and the releases skipped with the reason.

Rules (each row's ``provenance`` and ``notes`` say which applied):

* **Buyer**: ``buyer.id`` looked up in ``parties``; OCDS 1.0 data embeds the buyer (name, identifier) instead.
* **Identifiers**: every ``identifier`` and ``additionalIdentifiers`` scheme/id of the party, normalised by
  :mod:`.ids`. An empty scheme or id (``"scheme": ""``) is no identifier (noted); a Companies House number is
  zero-padded (noted).
* **Period**: each of start, end and ``maxExtentDate`` comes from ``awards[].contractPeriod``, else the
  ``contracts[].period`` of the contract whose ``awardID`` is the award's, else ``tender.contractPeriod``.
* **Dates**: parsed with their own UTC offset (``Z``, ``+01:00``; none = UK local time), converted to
  Europe/London and the UK calendar date taken: ``2025-04-23T23:59:59+01:00`` -> 2025-04-23, and
  ``2025-03-31T23:30:00Z`` (00:30 BST on 1 April) -> 2025-04-01.
* **Annual value**: the award value (else the matched contract's value) ÷ years, where years = days ÷ 365.25
  and days count both the start and the end date (the end date is the contract's last day). A period shorter
  than a year (days ÷ 365.25 <= 1) gives the whole value. A zero value is kept and flagged. Several suppliers on one award: one row
  each, each with the **whole** award value (the split between them is not published), flagged in provenance
  and counted in ``suppliers_on_award`` so a reader can divide if they choose.
* **Skipped**: a release with no award ("tender stage: no award", "planning stage: no award"), a cancelled or
  unsuccessful award, an award with no supplier.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from mutuals.services.ocds.ids import canonical, clean_id, normalise_name
from mutuals.services.ocds.merge import SOURCE_TAGS

__all__ = ["ROW_COLUMNS", "SKIP_COLUMNS", "extract", "uk_date"]

UK = ZoneInfo("Europe/London")
ROW_COLUMNS = [
    "ocid", "award_id", "supplier_index", "supplier_party_id", "supplier_name", "supplier_identifiers",
    "supplier_ids", "supplier_key", "buyer_party_id", "buyer_name", "buyer_identifiers", "buyer_ids", "buyer_key",
    "title", "service_area", "start_date", "end_date", "max_end_date", "period_source", "value_amount", "currency",
    "suppliers_on_award", "years", "annual_value", "provenance", "notes", "release_date",
]
SKIP_COLUMNS = ["ocid", "award_id", "reason", "detail"]


def uk_date(text) -> date | None:
    """The UK calendar date of an OCDS date-time (see the module docstring); None when absent or unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        return None
    return moment.astimezone(UK).date() if moment.tzinfo else moment.date()


def extract(compiled: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, skipped) for the compiled releases; never raises on odd content."""
    rows, skipped = [], []
    for release in compiled:
        try:
            _release_rows(release, rows, skipped)
        except Exception as error:  # noqa: BLE001 - one odd release must not stop the import
            skipped.append(_skip(release, None, "unreadable release", f"{type(error).__name__}: {error}"))
    return pd.DataFrame(rows, columns=ROW_COLUMNS), pd.DataFrame(skipped, columns=SKIP_COLUMNS)


def _skip(release, award_id, reason, detail=""):
    return {"ocid": release.get("ocid"), "award_id": award_id, "reason": reason, "detail": detail}


def _obj(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _release_rows(release: dict, rows: list, skipped: list) -> None:
    awards = _list(release.get("awards"))
    tender = _obj(release.get("tender"))
    if not awards:
        tags = set(release.get(SOURCE_TAGS) or release.get("tag") or []) - {"compiled"}
        if any(t.startswith("tender") for t in tags) or (tender and not tags):
            reason = "tender cancelled: no award" if "tenderCancellation" in tags else "tender stage: no award"
        elif any(t.startswith("planning") for t in tags) or release.get("planning"):
            reason = "planning stage: no award"
        else:
            reason = "no award"
        if _list(release.get("contracts")):
            reason = "contracts without an award: not supported"
        skipped.append(_skip(release, None, reason, _text(tender.get("title"))))
        return
    parties = {clean_id(p.get("id")): p for p in _list(release.get("parties"))}
    buyer_ref = _obj(release.get("buyer"))
    buyer = parties.get(clean_id(buyer_ref.get("id"))) or buyer_ref  # OCDS 1.0: the buyer is embedded
    buyer_name = _text(buyer.get("name") or buyer_ref.get("name")).rstrip(",;").strip()
    buyer_ids, buyer_notes = _identifiers(buyer)
    contracts = _list(release.get("contracts"))
    for award in awards:
        award_id = clean_id(award.get("id"))
        status = _text(award.get("status")).casefold()
        if status in ("cancelled", "unsuccessful"):
            skipped.append(_skip(release, award_id, f"award {status}"))
            continue
        suppliers = _list(award.get("suppliers"))
        if not suppliers:
            skipped.append(_skip(release, award_id, "award without a supplier"))
            continue
        contract = next((c for c in contracts if clean_id(c.get("awardID")) == award_id), {})
        period, period_source = _period(award, contract, tender)
        base = {
            "ocid": release.get("ocid"), "award_id": award_id, "release_date": release.get("date"),
            "buyer_party_id": clean_id(buyer_ref.get("id")) or None, "buyer_name": buyer_name,
            "buyer_ids": buyer_ids, "buyer_identifiers": _show(buyer_ids), "buyer_key": _key(buyer_name, buyer_ids),
            "title": _text(tender.get("title") or award.get("title") or contract.get("title")) or None,
            "service_area": _service_area(award, contract, tender), "period_source": period_source, **period,
        }
        value = _value(award, contract, period, len(suppliers))
        for index, ref in enumerate(suppliers, 1):
            party = parties.get(clean_id(ref.get("id"))) or ref
            name = _text(party.get("name") or ref.get("name") or _obj(party.get("identifier")).get("legalName"))
            ids, notes = _identifiers(party)
            rows.append({**base, **value, "supplier_index": index, "supplier_party_id": clean_id(ref.get("id")) or None,
                         "supplier_name": name, "supplier_ids": ids, "supplier_identifiers": _show(ids),
                         "supplier_key": _key(name, ids),
                         "notes": "; ".join([*period["_notes"], *value["_notes"],
                                             *(f"buyer {n}" for n in buyer_notes), *(f"supplier {n}" for n in notes)])})


def _identifiers(party: dict) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    found, notes = [], []
    for ident in [_obj(party.get("identifier")), *_list(party.get("additionalIdentifiers"))]:
        has_scheme, has_id = "scheme" in ident, "id" in ident
        if not (has_scheme or has_id):
            continue  # e.g. Contracts Finder's GB-CFS parties: a legalName only
        scheme, raw = _text(ident.get("scheme")).upper(), clean_id(ident.get("id"))
        if not scheme or not raw:
            notes.append(f"identifier with an empty {'scheme' if not scheme else 'id'} "
                         f"(scheme {ident.get('scheme')!r}, id {ident.get('id')!r}): treated as no identifier")
            continue
        value = canonical(scheme, raw)
        if value is None:
            notes.append(f"{scheme} {raw!r} is not a valid {scheme} number: not used for matching")
            continue
        if value != raw:
            notes.append(f"{scheme} {raw} normalised to {value}")
        if (scheme, value) not in found:
            found.append((scheme, value))
    return tuple(found), notes


def _show(ids) -> str:
    return "; ".join(f"{s}-{v}" for s, v in ids)


def _key(name: str, ids) -> str:
    """A review key: the identifiers when there are any, else the normalised name."""
    return "ids:" + ",".join(sorted(f"{s}-{v}" for s, v in ids)) if ids else "name:" + normalise_name(name)


def _period(award: dict, contract: dict, tender: dict) -> tuple[dict, str]:
    sources = [("awards[].contractPeriod", _obj(award.get("contractPeriod"))),
               ("contracts[].period", _obj(contract.get("period"))),
               ("tender.contractPeriod", _obj(tender.get("contractPeriod")))]
    out, used, notes = {}, {}, []
    for field, column in (("startDate", "start_date"), ("endDate", "end_date"), ("maxExtentDate", "max_end_date")):
        out[column] = None
        for label, period in sources:
            raw = period.get(field)
            if raw in (None, ""):
                continue
            parsed = uk_date(raw)
            if parsed is None:
                notes.append(f"{label}.{field} {raw!r} is not a date")
                continue
            out[column], used[column] = parsed, label
            if str(raw).strip()[:10] != parsed.isoformat():
                notes.append(f"{label}.{field} {raw} is {parsed} in UK time")
            break
    labels = sorted(set(used.values()), key=[s[0] for s in sources].index)
    source = labels[0] if len(labels) == 1 else ", ".join(f"{c} from {used[c]}" for c in used)
    if out["start_date"] and out["end_date"] and out["end_date"] < out["start_date"]:
        notes.append("end date before start date")
    if out["max_end_date"] and out["end_date"] and out["max_end_date"] < out["end_date"]:
        notes.append("maxExtentDate before end date")
    out["_notes"] = notes
    return out, source or "no contract period"


def _service_area(*blocks) -> str | None:
    for block in blocks:
        for item in _list(block.get("items")):
            cls = _obj(item.get("classification"))
            if _text(cls.get("scheme")).upper() == "CPV" and _text(cls.get("description")):
                return _text(cls.get("description"))
    return None


def _value(award: dict, contract: dict, period: dict, n_suppliers: int) -> dict:
    notes: list[str] = []
    label, value = "award value", _obj(award.get("value"))
    if not isinstance(value.get("amount"), (int, float)) or isinstance(value.get("amount"), bool):
        label, value = "contract value", _obj(contract.get("value"))
    amount = value.get("amount")
    currency = _text(value.get("currency")).upper() or None
    out = {"value_amount": None, "currency": currency, "suppliers_on_award": n_suppliers, "years": None,
           "annual_value": None, "_notes": notes}
    if not isinstance(amount, (int, float)) or isinstance(amount, bool):
        out["provenance"] = "no award or contract value: no annual value"
        return out
    amount = float(amount)
    out["value_amount"] = amount
    start, end = period["start_date"], period["end_date"]
    money = f"{label} {amount:,.2f}".rstrip("0").rstrip(".") + f" {currency or '(no currency)'}"
    if not (start and end) or end < start:
        out["provenance"] = f"{money}: no usable contract period, so no annual value"
        return out
    days = (end - start).days + 1
    years = days / 365.25
    out["years"] = round(years, 4)
    span = f"({start} → {end}, {days:,} days)"
    if years <= 1:
        out["annual_value"] = amount
        text = f"{money} over {days:,} days ({start} → {end}): a year or less, so the annual value is the " \
               f"whole value = {amount:,.0f} a year"
    else:
        out["annual_value"] = amount / years
        text = f"{money} over {years:.2f} years {span} = {amount / years:,.0f} a year"
    if amount == 0:
        text += "; zero value in the source (kept: check it)"
        notes.append("zero value")
    if amount < 0:
        notes.append("negative value")
    if n_suppliers > 1:
        text += f"; value shared by {n_suppliers} suppliers: whole award value on each row"
    out["provenance"] = text
    return out
