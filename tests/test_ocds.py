"""OCDS import (issue 12, 2.3): load, merge offline, extract, match, contract rows — on the real shared files."""

from __future__ import annotations

import json
import socket
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mutuals.services.ocds import contract_rows, contract_rows_report, extract, load, review, uk_date
from mutuals.services.ocds import merge as ocds_merge
from mutuals.services.ocds.ids import company_number, normalise_name, society_number

SHARED = Path(__file__).resolve().parent / "fixtures" / "ocds"  # a copy of ../shared/ocds
REAL, FICTIONAL = SHARED / "real", SHARED / "fictional"
CF25 = REAL / "cf-2025" / "releases"
FCDO = "ocds-b5fd17-6b5d499c-3804-4496-9f22-2c8551e9912d"
YMCA = "ocds-b5fd17-070f4662-2e9c-40b0-8fa4-4b435f3ccae4"
WELLAND = "ocds-b5fd17-d1441223-b3e7-45a9-9ff6-88fcdad59f37"
MERTON = "ocds-b5fd17-e3b5f385-5989-4cf1-8849-01c247fc9c30"
APPELLO = "ocds-b5fd17-baf18c1f-2745-4874-a86a-525ec2625841"
OXFORD = "ocds-b5fd17-55a5319a-5ceb-44da-8d2d-e5d9ef5a7b72"



@pytest.fixture(scope="module")
def cf2025():
    loaded = load([REAL / "cf-2025"])
    rows, skipped = extract(loaded.compiled)
    return loaded, rows, skipped


def one(rows: pd.DataFrame, ocid: str) -> dict:
    found = rows[rows["ocid"] == ocid]
    assert len(found) == 1, found
    return found.iloc[0].to_dict()


@pytest.mark.parametrize("folder", ["real/cf-2025", "real/cf-2017-sample-data", "fictional"])
def test_every_file_loads_and_extracts(folder):
    files = sorted((SHARED / folder).rglob("*.json"))
    loaded = load(files)
    rows, skipped = extract(loaded.compiled)
    assert len(loaded.files) == len(files)
    assert all(f.kind != "not OCDS" and not f.problems for f in loaded.files), loaded.file_table()
    print(f"\n{folder}: {len(files)} files, {len(loaded.releases)} releases, {len(loaded.compiled)} compiled, "
          f"{len(rows)} rows, skipped {dict(Counter(skipped['reason']))}")
    assert len(rows) + len(skipped) >= len(loaded.compiled)


def test_cf2025_counts(cf2025):
    loaded, rows, skipped = cf2025
    # 100 releases in the page; the 23 single files are byte-for-byte slices of it, so each is used once.
    assert (len(loaded.releases), len(loaded.compiled)) == (100, 94)
    assert len(rows) == 70  # distinct (ocid, award, supplier) in the page, counted independently
    assert dict(Counter(skipped["reason"])) == {"tender stage: no award": 34, "planning stage: no award": 3}


def test_tender_only_2017_files_give_no_rows():
    loaded = load([REAL / "cf-2017-sample-data"])
    rows, skipped = extract(loaded.compiled)
    assert rows.empty and len(skipped) == len(loaded.compiled) == 7
    assert set(skipped["reason"]) == {"tender stage: no award"}


def test_fcdo_itad_by_hand(cf2025):
    row = one(cf2025[1], FCDO)
    assert row["buyer_name"] == "Foreign Commonwealth and Development Office"
    assert row["supplier_name"] == "Itad Limited" and row["supplier_identifiers"] == ""  # GB-CFS: legalName only
    assert (row["start_date"], row["end_date"]) == (date(2024, 12, 23), date(2028, 3, 31))
    assert (row["value_amount"], row["currency"]) == (3_000_000, "GBP")
    # 23 Dec 2024 .. 31 Mar 2028 inclusive = 1,195 days; 3,000,000 x 365.25 / 1,195
    assert row["annual_value"] == pytest.approx(916_945.61, abs=0.01)
    assert row["provenance"] == ("award value 3,000,000 GBP over 3.27 years (2024-12-23 → 2028-03-31, 1,195 days)"
                                 " = 916,946 a year")


def test_bedfordshire_ymca_by_hand(cf2025):
    row = one(cf2025[1], YMCA)
    assert row["buyer_name"] == "The Police and Crime Commissioner for Bedfordshire"  # trailing comma dropped
    assert row["supplier_name"] == "One YMCA"
    assert (row["start_date"], row["end_date"]) == (date(2025, 4, 1), date(2028, 3, 31))  # +01:00 both ends
    assert row["value_amount"] == 1_018_044.14
    assert row["annual_value"] == pytest.approx(339_270.64, abs=0.01)  # 1,096 days


def test_welland_twelve_suppliers_by_hand(cf2025):
    rows = cf2025[1][cf2025[1]["ocid"] == WELLAND].sort_values("supplier_index")
    assert len(rows) == 12 and list(rows["supplier_index"]) == list(range(1, 13))
    first = rows.iloc[0]
    assert (first["supplier_name"], first["supplier_identifiers"]) == ("24x7", "GB-COH-04142000")
    assert "GB-COH 4142000 normalised to 04142000" in first["notes"]
    assert set(rows["buyer_name"]) == {"Welland Procurement Unit"}
    assert (first["start_date"], first["end_date"]) == (date(2024, 9, 1), date(2025, 8, 19))
    # 353 days: a year or less, so the annual value is the whole (shared) award value on every row
    assert set(rows["annual_value"]) == {776_888.48}
    assert all("value shared by 12 suppliers: whole award value on each row" in p for p in rows["provenance"])
    assert rows["supplier_identifiers"].eq("").sum() == 4  # BA Taxis, Corby Jet Carz, Starline, Take Me: GB-CFS


def test_mixed_utc_offsets_become_uk_dates(cf2025):
    row = one(cf2025[1], MERTON)  # "2025-01-23T00:00:00Z" -> "2025-04-23T23:59:59+01:00"
    assert (row["start_date"], row["end_date"]) == (date(2025, 1, 23), date(2025, 4, 23))
    assert uk_date("2025-04-23T23:59:59+01:00") == date(2025, 4, 23)
    assert uk_date("2025-03-31T23:30:00Z") == date(2025, 4, 1)   # 00:30 BST
    assert uk_date("2025-01-31T23:59:59Z") == date(2025, 1, 31)  # GMT
    assert uk_date("2025-02-01") == date(2025, 2, 1) and uk_date("soon") is None and uk_date(None) is None


def test_zero_values_are_kept_and_flagged(cf2025):
    zero = cf2025[1][cf2025[1]["value_amount"] == 0]
    assert len(zero) == 2 and set(zero["annual_value"]) == {0}
    assert all("zero value in the source" in p for p in zero["provenance"])


def test_award_and_award_update_merge_into_one_row():
    files = sorted(CF25.glob(f"{OXFORD}__*.json"))
    assert len(files) == 2
    loaded = load(files)
    assert len(loaded.releases) == 2 and len(loaded.compiled) == 1
    rows, skipped = extract(loaded.compiled)
    assert len(rows) == 1 and skipped.empty


def test_fictional_six_release_package_compiles_to_one_award():
    loaded = load([FICTIONAL / "ocds-213czf-000-00001.json"])
    assert len(loaded.releases) == 6 and len(loaded.compiled) == 1
    assert len(loaded.compiled[0]["awards"]) == 1
    rows, _ = extract(loaded.compiled)
    row = one(rows, "ocds-213czf-000-00001")
    assert row["supplier_identifiers"] == "GB-COH-11111111"  # "11111111.0" from a spreadsheet
    assert row["max_end_date"] == date(2011, 12, 31) and row["service_area"] == "Construction work for highways"


def test_record_package_uses_its_compiled_release():
    loaded = load([FICTIONAL / "record" / "ocds-213czf-000-00001.json"])
    assert loaded.files[0].kind == "record package" and len(loaded.compiled) == 1
    assert len(extract(loaded.compiled)[0]) == 1


def test_bad_files_and_zips_are_reported_not_raised(tmp_path):
    (tmp_path / "broken.json").write_text('{"releases": [', encoding="utf-8")
    (tmp_path / "other.json").write_text('{"hello": 1}', encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as archive:
        archive.write(CF25 / f"{FCDO}.json", "a/fcdo.json")
        archive.writestr("notes.txt", "hi")
    (tmp_path / "fake.zip").write_bytes(b"not a zip")
    loaded = load([tmp_path / "broken.json", tmp_path / "other.json", tmp_path / "bundle.zip", tmp_path / "fake.zip"])
    table = loaded.file_table().set_index("file")
    assert "invalid JSON" in table.loc[str(tmp_path / "broken.json"), "problems"]
    assert "not OCDS" in table.loc[str(tmp_path / "other.json"), "problems"]
    assert table.loc[f"{tmp_path / 'bundle.zip'}!a/fcdo.json", "kind"] == "release"
    assert "not a .json" in table.loc[f"{tmp_path / 'bundle.zip'}!notes.txt", "problems"]
    assert "not a readable ZIP" in table.loc[str(tmp_path / "fake.zip"), "problems"]
    assert [r["ocid"] for r in loaded.compiled] == [FCDO]


def test_identifier_and_name_normalisation():
    assert company_number("4142000") == "04142000" and company_number("SC123456") == "SC123456"
    assert company_number("sc 12345") == "SC012345" and company_number("11111111.0") == "11111111"
    assert company_number("458577871") is None
    assert society_number("IP12345R") == society_number("12345R") == "12345R" and society_number("RS007") == "RS7"
    assert normalise_name("The Police & Crime Commissioner, C.I.C.") == "police and crime commissioner"
    assert normalise_name("Acme Community Interest Company Ltd") == "acme"


def test_empty_identifier_schemes_are_no_identifier():
    loaded = load([REAL / "cf-2017-sample-data" / "packages-ocds-1.0"])
    release = json.loads(json.dumps(loaded.compiled[0]))
    release["awards"] = [{"id": "1", "suppliers": [{"name": "X"}], "value": {"amount": 10, "currency": "GBP"}}]
    rows, _ = extract([release])
    assert rows.iloc[0]["buyer_identifiers"] == ""
    assert "empty scheme" in rows.iloc[0]["notes"]


MUTUALS = pd.DataFrame([
    # shares APPELLO CARELINE LIMITED's Companies House number (written without the leading zero), other name
    {"mutual_id": "M1", "name": "Careline Co-operative", "company_number": "3229746", "charity_number": None},
    {"mutual_id": "M2", "name": "ONE YMCA LIMITED", "company_number": None, "charity_number": None},
    {"mutual_id": "M3", "name": "Unrelated Mutual", "company_number": "IP12345R", "charity_number": "1100001"},
])
COMMISSIONERS = pd.DataFrame([
    {"commissioner_id": "C1", "name": "Richmond Housing Partnership"},
    {"commissioner_id": "C2", "name": "Police and Crime Commissioner for Bedfordshire"},
])


def test_identifier_links_and_names_only_propose(cf2025):
    _, rows, _ = cf2025
    subset = rows[rows["ocid"].isin([APPELLO, YMCA])]
    matches = review(subset, MUTUALS, COMMISSIONERS).set_index(["role", "name"])
    appello = matches.loc[("supplier", "APPELLO CARELINE LIMITED")]
    assert (appello["method"], appello["candidate_id"], appello["status"]) == ("identifier", "M1", "linked")
    ymca = matches.loc[("supplier", "One YMCA")]
    assert (ymca["method"], ymca["candidate_id"], ymca["status"]) == ("name", "M2", "proposed")
    buyer = matches.loc[("buyer", "RICHMOND HOUSING PARTNERSHIP LIMITED")]
    assert (buyer["method"], buyer["candidate_id"], buyer["status"]) == ("name", "C1", "proposed")
    assert matches.loc[("buyer", "The Police and Crime Commissioner for Bedfordshire"), "status"] == "proposed"


def test_fuzzy_match_only_proposes():
    rows, _ = extract(load([CF25 / f"{FCDO}.json"]).compiled)
    mutuals = pd.DataFrame([{"mutual_id": "M9", "name": "Itad Ltd.", "company_number": None, "charity_number": None}])
    commissioners = pd.DataFrame([{"commissioner_id": "C9", "name": "Foreign Commonwealth & Development Offic"}])
    matches = review(rows, mutuals, commissioners).set_index("role")
    assert matches.loc["supplier", "method"] == "name"  # "itad" == "itad"
    assert (matches.loc["buyer", "method"], matches.loc["buyer", "status"]) == ("fuzzy", "proposed")
    assert matches.loc["buyer", "score"] >= 90
    assert contract_rows(rows, review(rows, mutuals, commissioners), set(), as_of=date(2025, 1, 24)).empty


def test_contract_rows_need_acceptance_of_name_matches(cf2025):
    _, rows, _ = cf2025
    subset = rows[rows["ocid"].isin([APPELLO, YMCA])]
    matches = review(subset, MUTUALS, COMMISSIONERS)
    kept, excluded = contract_rows_report(subset, matches, set(), as_of=date(2025, 1, 24))
    assert kept.empty and len(excluded) == 2  # the buyers are name proposals, One YMCA too
    assert any("not yet accepted" in r for r in excluded["reason"])
    accept_buyers = set(matches.loc[matches["role"] == "buyer", "match_key"])
    kept = contract_rows(subset, matches, accept_buyers, as_of=date(2025, 1, 24))
    assert list(kept["mutual_id"]) == ["M1"]  # the identifier match needs no acceptance; One YMCA still waits
    everything = accept_buyers | set(matches.loc[matches["role"] == "supplier", "match_key"].dropna())
    kept = contract_rows(subset, matches, everything, as_of=date(2025, 1, 24))
    from mutuals.infra.build import contract_columns

    assert list(kept.columns) == [name for name, _ in contract_columns()["contracts"]]
    kept = kept.set_index("mutual_id")
    assert sorted(kept.index) == ["M1", "M2"]
    m1 = kept.loc["M1"]
    assert (m1["commissioner_id"], m1["start_date"], m1["end_date"]) == ("C1", date(2024, 9, 1), date(2026, 8, 31))
    assert m1["annual_value"] == pytest.approx(15_406.55)  # 30,792 over 730 days
    assert m1["contract_id"] == f"{APPELLO}/{APPELLO}-1/1" and m1["outcome"] == "active"
    assert not m1["is_spin_out_contract"]
    assert contract_rows(subset, matches, everything, as_of=date(2030, 1, 1))["outcome"].eq("expired").all()


def test_no_network_during_load_and_merge(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    ocds_merge._merger.cache_clear()
    ocds_merge.release_schema.cache_clear()
    loaded = load([FICTIONAL / "ocds-213czf-000-00001.json", CF25])
    assert len(loaded.compiled) == 1 + 21 and not loaded.problems  # 23 files, two ocids twice
