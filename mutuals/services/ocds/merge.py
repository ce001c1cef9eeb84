"""Read OCDS files (packages, records, bare releases, ZIPs of them) and merge releases per ``ocid``.

Nothing here raises on bad input: each file gets a report line (what it was, how many releases, problems).
Merging uses ``ocdsmerge`` with the vendored OCDS 1.1 release schema (``schema/release-schema.json``) passed as
a dict, so merge rules are derived offline and no URL is ever fetched.

Rules:
* a record with ``compiledRelease`` contributes that compiled release (as one release, dated its ``date``);
  a record without one contributes its embedded releases (linked releases, which hold only a ``url``, are
  reported and ignored);
* every release of one ``ocid``, from any file, is merged into one compiled release; a release seen twice
  (same ``ocid`` and ``id``, e.g. in a package and again on its own) is used once;
* a release without a text ``date`` cannot be ordered: it is left out of the merge (reported) unless it is
  the ocid's only release.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ["FileReport", "Loaded", "SCHEMA_PATH", "SOURCE_TAGS", "compile_releases", "load", "release_schema"]

SCHEMA_PATH = Path(__file__).with_name("schema") / "release-schema.json"
SOURCE_TAGS = "x_mutuals_sourceTags"  # added to each compiled release: the tags of the releases merged into it
MAX_MEMBER_BYTES = 200 * 1024 * 1024  # a ZIP member larger than this is reported, not read


@dataclass
class FileReport:
    file: str
    kind: str = "not OCDS"  # release package | record package | record | release | release list | not OCDS
    releases: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Loaded:
    files: list[FileReport]
    releases: list[dict]          # every usable release (records' compiled releases included), deduplicated
    compiled: list[dict]          # one compiled release per ocid
    problems: list[str]           # merge-level problems (per ocid)

    def file_table(self):
        import pandas as pd

        return pd.DataFrame([{"file": f.file, "kind": f.kind, "releases": f.releases,
                              "problems": "; ".join(f.problems)} for f in self.files])


@lru_cache(maxsize=1)
def release_schema() -> dict:
    """The vendored OCDS 1.1 release schema."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _merger():
    import ocdsmerge

    return ocdsmerge.Merger(schema=release_schema())


def load(paths) -> Loaded:
    """Read every file (folders are searched for ``*.json`` and ``*.zip``) and merge per ocid."""
    reports: list[FileReport] = []
    found: list[dict] = []
    for path in _expand([Path(p) for p in paths]):
        if path.suffix.lower() == ".zip":
            _read_zip(path, reports, found)
        else:
            report = FileReport(str(path))
            try:
                data = path.read_bytes()
            except OSError as error:
                report.problems.append(f"cannot read: {error}")
                reports.append(report)
                continue
            found.extend(_parse(data, report))
            reports.append(report)
    releases, problems = _dedupe(found)
    compiled, merge_problems = compile_releases(releases)
    return Loaded(reports, releases, compiled, problems + merge_problems)


def compile_releases(releases: list[dict]) -> tuple[list[dict], list[str]]:
    """One compiled release per ocid (in first-seen order), and the problems met."""
    by_ocid: dict[str, list[dict]] = {}
    for release in releases:
        by_ocid.setdefault(release["ocid"], []).append(release)
    compiled, problems = [], []
    for ocid, group in by_ocid.items():
        dated = [r for r in group if isinstance(r.get("date"), str)]
        if len(group) > 1 and len(dated) < len(group):
            problems.append(f"{ocid}: {len(group) - len(dated)} release(s) without a date left out of the merge")
            group = dated
        if not group:
            continue
        try:
            merged = _merger().create_compiled_release(group)
        except Exception as error:  # ocdsmerge raises its own errors on malformed releases
            problems.append(f"{ocid}: cannot merge ({type(error).__name__}: {error})")
            continue
        # The source releases' tags (a compiled release's own tag is just "compiled"), for the skip reasons.
        merged[SOURCE_TAGS] = sorted({t for r in group for t in (r.get("tag") or []) if isinstance(t, str)})
        compiled.append(merged)
    return compiled, problems


def _expand(paths: list[Path]) -> list[Path]:
    out = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in (".json", ".zip") and p.is_file()))
        else:
            out.append(path)
    return out


def _read_zip(path: Path, reports: list[FileReport], found: list[dict]) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        reports.append(FileReport(str(path), "not OCDS", problems=[f"not a readable ZIP: {error}"]))
        return
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if not members:
            reports.append(FileReport(str(path), "not OCDS", problems=["empty ZIP"]))
        for member in members:
            report = FileReport(f"{path}!{member.filename}")
            reports.append(report)
            if not member.filename.lower().endswith(".json"):
                report.problems.append("not a .json file: ignored")
            elif member.file_size > MAX_MEMBER_BYTES:
                report.problems.append(f"larger than {MAX_MEMBER_BYTES:,} bytes: not read")
            else:
                try:
                    found.extend(_parse(archive.read(member), report))
                except (OSError, zipfile.BadZipFile, RuntimeError) as error:
                    report.problems.append(f"cannot read from the ZIP: {error}")


def _parse(data: bytes, report: FileReport) -> list[dict]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        report.problems.append(f"not UTF-8 text: {error}")
        return []
    except json.JSONDecodeError as error:
        report.problems.append(f"invalid JSON: line {error.lineno} column {error.colno}: {error.msg}")
        return []
    releases = _classify(doc, report)
    report.releases = len(releases)
    return releases


def _is_release(obj) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("ocid"), str) and bool(obj["ocid"].strip()) and not (
        "releases" in obj or "records" in obj or "compiledRelease" in obj)


def _classify(doc, report: FileReport) -> list[dict]:
    if isinstance(doc, dict) and isinstance(doc.get("records"), list):
        report.kind = "record package"
        return [r for i, rec in enumerate(doc["records"], 1) for r in _record(rec, report, f"record {i}")]
    if isinstance(doc, dict) and "compiledRelease" in doc:
        report.kind = "record"
        return _record(doc, report, "record")
    if isinstance(doc, dict) and isinstance(doc.get("releases"), list):
        if isinstance(doc.get("ocid"), str) and not any(isinstance(r, dict) and "ocid" in r for r in doc["releases"]):
            report.kind = "record"
            return _record(doc, report, "record")
        report.kind = "release package"
        return _releases(doc["releases"], report)
    if _is_release(doc):
        report.kind = "release"
        return [doc]
    if isinstance(doc, list) and doc and all(_is_release(r) for r in doc):
        report.kind = "release list"
        return list(doc)
    report.problems.append("not OCDS: no releases, records or ocid found")
    return []


def _releases(items: list, report: FileReport) -> list[dict]:
    out = []
    for i, item in enumerate(items, 1):
        if _is_release(item):
            out.append(item)
        else:
            report.problems.append(f"release {i}: not a release (no ocid): ignored")
    return out


def _record(rec, report: FileReport, where: str) -> list[dict]:
    if not isinstance(rec, dict):
        report.problems.append(f"{where}: not an object: ignored")
        return []
    compiled = rec.get("compiledRelease")
    if isinstance(compiled, dict) and isinstance(compiled.get("ocid") or rec.get("ocid"), str):
        compiled = {**compiled, "ocid": compiled.get("ocid") or rec["ocid"]}
        return [compiled]
    embedded = [r for r in rec.get("releases") or [] if _is_release(r) and ("tag" in r or "parties" in r)]
    linked = len(rec.get("releases") or []) - len(embedded)
    if linked:
        report.problems.append(f"{where}: {linked} linked release(s) (url only) cannot be merged: ignored")
    if not embedded:
        report.problems.append(f"{where}: no compiledRelease and no embedded releases")
    return embedded


def _dedupe(found: list[dict]) -> tuple[list[dict], list[str]]:
    seen: dict[tuple, dict] = {}
    problems = []
    for release in found:
        key = (release["ocid"], release.get("id"), release.get("date"))
        if key in seen:
            if seen[key] != release:
                problems.append(f"{release['ocid']}: release {release.get('id')} appears twice with different "
                                "content: the first copy is used")
            continue
        seen[key] = release
    return list(seen.values()), problems
