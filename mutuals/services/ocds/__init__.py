"""OCDS contract data (issue 12, section 2.3): load and merge, extract rows, match, make contract rows.

    loaded = load(paths)                                  # packages, records, releases, ZIPs; never raises
    rows, skipped = extract(loaded.compiled)              # one row per (ocid, award, supplier)
    matches = review(rows, mutuals, commissioners)        # the review table: linked | proposed | unmatched
    contracts = contract_rows(rows, matches, accepted, as_of=import_date)
"""

from mutuals.services.ocds.extract import extract, uk_date
from mutuals.services.ocds.ids import normalise_name
from mutuals.services.ocds.match import match_key, review
from mutuals.services.ocds.merge import FileReport, Loaded, compile_releases, load, release_schema
from mutuals.services.ocds.rows import contract_rows, contract_rows_report

__all__ = ["FileReport", "Loaded", "compile_releases", "contract_rows", "contract_rows_report", "extract", "load",
           "match_key", "normalise_name", "release_schema", "review", "uk_date"]
