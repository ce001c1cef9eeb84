"""The Data page's Streamlit glue (issue 12, section 4): the dataset in force, templates, import, history.

An upload is written to a private temporary folder (each name cut to its base name and made safe), previewed by
:mod:`mutuals.services.importer` (every problem at once, the diff, the OCDS review) and imported only on Confirm,
as a new workspace version. The data layer keys its caches by database path and version, so a rerun after
Confirm, "Use this version" or "Roll back" serves the version then active. Every data value is escaped
(``md_text``) or shown in a table (plain text cells); an expected error is an ``st.error``, never a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from mutuals import formatting as fmt
from mutuals import settings
from mutuals.escape import cap_columns, md_text
from mutuals.infra import versions, workspace
from mutuals.infra.contract import load_limits
from mutuals.infra.csvread import BuildError
from mutuals.reports import templates
from mutuals.services import importer
from mutuals.ui import components

KINDS = {"dataset": "A whole dataset: a ZIP or XLSX, or one CSV per table",
         "tables": "Tables into the active dataset (a new survey wave, a year of accounts…)",
         "ocds": "OCDS contract data: release or record packages, releases, or a ZIP of them"}
FILE_TYPES = {"dataset": ["zip", "xlsx", "csv"], "tables": ["csv", "xlsx", "zip"], "ocds": ["json", "zip"]}
MODES = {"append": "Append the rows", "replace": "Replace the rows of the mutuals they mention"}
EXPECTED = (ValueError, BuildError, workspace.WorkspaceError, OSError)  # SourceError is a ValueError
STATE, FLASH, ROUND = "data_import", "data_flash", "data_upload_round"
REVIEW_KEY = "ocds_review"
REVIEW_SHOWN = ["role", "name", "method", "candidate_id", "candidate_name", "score", "status", "note"]


# --- uploads -----------------------------------------------------------------------------------------------

def safe_name(name: str) -> str:
    """The base name of an uploaded file, made safe: no folders, no leading dots, only word characters,
    ``.``, ``-``, ``(``, ``)`` and spaces, at most 120 characters (the extension kept)."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = re.sub(r"[^\w.\-() ]+", "_", base).strip(" .") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = base, ""
    return (stem[: 120 - len(suffix) - 1] + "." + suffix) if suffix else base[:120]


def write_uploads(files: list[tuple[str, bytes]], folder: Path | None = None) -> tuple[Path, list[Path]]:
    """Write ``(name, bytes)`` pairs into ``folder`` (default: a new private temporary folder) under safe,
    distinct names; returns the folder and the paths, in upload order."""
    folder = Path(folder or tempfile.mkdtemp(prefix="mutuals-upload-"))
    paths: list[Path] = []
    for name, content in files:
        path = folder / safe_name(name)
        stem, suffix, n = path.stem, path.suffix, 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}{suffix}"
        path.write_bytes(content)
        paths.append(path)
    return folder, paths


def preview_files(kind: str, folder: Path, paths: list[Path], *, mode: str = "append",
                  accepted: frozenset[str] = frozenset()):
    """The importer's preview of the uploaded ``paths`` (all in ``folder``) as ``kind``."""
    if kind == "ocds":
        return importer.preview_ocds(paths, accepted=set(accepted))
    # One ZIP or workbook is read as itself; CSVs (or a mix) as the folder holding them.
    target = paths[0] if len(paths) == 1 and paths[0].suffix.lower() != ".csv" else folder
    if kind == "tables":
        return importer.preview_tables(target, mode=mode)
    return importer.preview_dataset(target)


def _forget() -> None:
    """Drop the upload in progress and its temporary folder."""
    state = st.session_state.pop(STATE, None)
    if state:
        shutil.rmtree(state["folder"], ignore_errors=True)


def error(exc: BaseException, folder: Path | None = None) -> None:
    """An expected error as ``st.error``: its message, with no server path in it."""
    text = versions.public_message(exc) if isinstance(exc, BuildError) else str(exc)
    if folder is not None:
        text = text.replace(f"{folder}{os.sep}", "").replace(str(folder), "the upload")
    text = text.replace(str(workspace.home()), "the workspace")
    st.error(md_text(text), icon=":material/error:")


# --- sections ----------------------------------------------------------------------------------------------

def flash() -> None:
    """The message left by the last import, activation or rollback (shown once)."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(md_text(message), icon=":material/check_circle:")


def _day(value) -> str:
    return fmt.day(value) if value else "–"


def dataset_in_force(info: dict[str, str], data_date) -> None:
    """Name, version, data date and synthetic flag of the data served (``info``: the sample's dataset_info)."""
    source = settings.dataset_source()
    manifest = workspace.active() if source.startswith("workspace:") else None
    if manifest is not None:
        facts = [("Dataset", manifest.name or "Imported data"), ("Version", manifest.version),
                 ("Imported", manifest.created_at.replace("T", " ").replace("Z", " UTC")),
                 ("Data date", _day(manifest.data_date)),
                 ("Synthetic", "yes" if manifest.synthetic else "no (real data)")]
    else:
        facts = [("Dataset", info.get("name") or "Bundled sample"), ("Version", "bundled sample"),
                 ("Data date", _day(data_date)),
                 ("Synthetic", "yes" if info.get("synthetic", "").lower() == "true" else "no (real data)")]
        if os.environ.get("MUTUALS_DATA_DIR") or os.environ.get("MUTUALS_DB"):
            facts[1] = ("Version", "the data folder set by MUTUALS_DATA_DIR / MUTUALS_DB")
            if workspace.active_paths() is not None:
                st.warning("MUTUALS_DATA_DIR or MUTUALS_DB is set, so the app serves that folder, not the "
                           "workspace's active version: imports here do not change what the pages show.",
                           icon=":material/warning:")
    st.markdown("  \n".join(f"**{label}:** {md_text(value)}" for label, value in facts))


# The import templates (a ZIP of CSVs is a ZIP: templates.py writes its CSVs with the app's one CSV writer).
TEMPLATES = [("Template (XLSX)", templates.xlsx_template, "mutuals-import-template.xlsx",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ":material/table:",
              "One sheet per table, with dropdowns and column notes, and an About sheet"),
             ("Template (ZIP of CSVs)", templates.csv_template_zip, "mutuals-import-template.zip", "application/zip",
              ":material/folder_zip:", "One file per table with its header row, and a README")]


def template_downloads() -> None:
    """The import templates, made only when a button is clicked."""
    with st.container(horizontal=True, gap="small"):
        for label, make, name, mime, icon, tip in TEMPLATES:
            st.download_button(label, data=make, file_name=name, mime=mime, key=f"template-{name}",
                               on_click="ignore", icon=icon, help=tip)


def import_section(data_date) -> None:
    """Upload, preview (report, normalisations, diff, OCDS review) and Confirm."""
    limits = load_limits()
    if not limits.import_ui_enabled:
        st.info("Importing is switched off in the config (`[import] ui_enabled` in mutuals/config/contract.toml). "
                "The templates and the version history stay available; the command line can still import.",
                icon=":material/lock:")
        return
    kind = st.radio("What are you uploading?", list(KINDS), format_func=KINDS.get, key="import_kind")
    mode = "append"
    if kind == "tables":
        mode = st.radio("How the rows go in", list(MODES), format_func=MODES.get, key="import_mode",
                        horizontal=True, help="Replace: every row of a mutual that the upload mentions is replaced "
                                              "by the upload's rows; other mutuals keep theirs.")
    megabytes = max(1, limits.upload_max_bytes // (1024 * 1024))
    files = st.file_uploader("Files to import", type=FILE_TYPES[kind], accept_multiple_files=True,
                             max_upload_size=megabytes, key=f"upload-{kind}-{st.session_state.get(ROUND, 0)}",
                             help=f"At most {megabytes:,} MB in all. Nothing changes until you confirm.")
    if not files:
        _forget()
        return
    state = _upload_state(kind, files, limits.upload_max_bytes)
    if state is None:
        return
    preview = _preview(state, kind, mode)
    if preview is None:
        return
    show_report(preview, state, components.export_context("Import error report", data_date))
    if kind == "ocds":
        review_table(state)
    show_changes(preview)
    confirm_button(preview, state)


def _upload_state(kind: str, files, limit: int) -> dict | None:
    """The upload in progress: written to a temporary folder once per set of files."""
    signature = (kind, tuple((f.file_id, f.name, f.size) for f in files))
    state = st.session_state.get(STATE)
    if state and state["signature"] == signature:
        return state
    _forget()
    total = sum(f.size for f in files)
    if total > limit:
        st.error(f"The upload is {total / 1024 / 1024:,.1f} MB; the limit is {limit // (1024 * 1024):,} MB "
                 "(`[import] upload_max_mb` in the config).", icon=":material/error:")
        return None
    try:
        folder, paths = write_uploads([(f.name, f.getvalue()) for f in files])
    except OSError as exc:
        error(exc)
        return None
    state = {"signature": signature, "folder": folder, "paths": paths, "key": None, "preview": None,
             "accepted": frozenset(), "review": None}
    st.session_state[STATE] = state
    return state


def _preview(state: dict, kind: str, mode: str):
    """The preview for the files, the mode, the accepted matches and the version in force (made again only when
    one of them changes: "Use this version" with an upload open previews it against the version then active)."""
    key = (mode, state["accepted"], settings.dataset_source())
    if state["key"] == key:
        return state["preview"]
    with st.status("Reading and checking the files…", expanded=False) as status:
        try:
            preview = preview_files(kind, state["folder"], state["paths"], mode=mode, accepted=state["accepted"])
        except EXPECTED as exc:
            status.update(label="The files could not be read", state="error")
            error(exc, state["folder"])
            return None
        status.update(label="Checked the files", state="complete")
    state.update(key=key, preview=preview)
    if kind == "ocds" and state["review"] is None and getattr(preview, "review", None) is not None:
        state["review"] = preview.review  # the editor's rows stay put while matches are accepted
    return preview


def _flat(value):
    """A cell as a table shows it: lists, tuples, sets and dicts as text."""
    return str(value) if isinstance(value, (list, tuple, set, frozenset, dict)) else value


def _table(frame) -> None:
    """A plain-text table (long text capped; nested values as text)."""
    if isinstance(frame, pd.DataFrame) and not frame.empty:
        text = [c for c in frame.columns if frame[c].dtype == object]
        st.dataframe(cap_columns(frame.assign(**{c: frame[c].map(_flat) for c in text})), hide_index=True)


def show_report(preview, state: dict, context) -> None:
    """The complete error report (and its CSV: first row ``context``), the normalisations and notes, and for
    OCDS what was read."""
    report = preview.report
    paths = state["paths"]
    names = ", ".join(p.name for p in paths) if len(paths) <= 3 else f"the {len(paths)} files"
    if report.ok:
        st.success(f"No problems in {md_text(names)}: the upload meets the data contract.",
                   icon=":material/check_circle:")
    else:
        total = len(report.problems) + (report.more or 0)
        st.error(f"**{total:,} problem{'s' if total != 1 else ''}** in {md_text(names)}. Nothing is imported "
                 "until they are fixed: every problem is listed below.", icon=":material/error:")
        frame = report.to_frame()
        _table(frame)
        components.csv_download(frame, "the error report", "import-errors", context=context)
    for title, items in (("Normalised on the way in", preview.normalisations), ("Notes", report.notes)):
        if items:
            st.markdown(f"**{title}**  \n" + "  \n".join(f"- {md_text(item)}" for item in items))
    if preview.kind == "ocds":
        for label, frame in (("Contract rows extracted", preview.extracted), ("Skipped, with the reason", preview.skipped),
                             ("Not imported: waiting for a match", getattr(preview, "excluded", None))):
            if isinstance(frame, pd.DataFrame) and len(frame):
                with st.expander(f"{label} ({len(frame):,})"):
                    _table(frame)


def show_changes(preview) -> None:
    """The diff against the active version (rows added, changed, removed per table) and the mutuals affected."""
    if isinstance(preview.diff, pd.DataFrame) and not preview.diff.empty:
        st.markdown("**Changes against the active version** (rows per table"
                    + ("" if preview.ok else "; as uploaded, problems included") + ")")
        _table(preview.diff)
    if isinstance(preview.mutuals_affected, pd.DataFrame) and not preview.mutuals_affected.empty:
        st.markdown(f"**Mutuals affected** ({len(preview.mutuals_affected):,})")
        _table(preview.mutuals_affected)


def review_table(state: dict) -> None:
    """The OCDS matches: linked and unmatched parties, and the proposals with an "accept" checkbox each.

    The rows are those of the upload's first preview; a changed choice reruns, and the rerun previews again
    with the accepted set (so what Confirm imports is always the preview on screen)."""
    review = state["review"]
    if not isinstance(review, pd.DataFrame) or review.empty:
        return
    st.markdown("**Matching review**: a supplier or buyer matched on an identifier is linked; a match on the "
                "name only is a proposal, used only when you accept it.")
    proposals = review[review["match_key"].notna() & (review["status"] != "linked")].reset_index(drop=True)
    others = review.drop(review.index[review["match_key"].notna() & (review["status"] != "linked")])
    _table(others[[c for c in REVIEW_SHOWN if c in others]])
    if proposals.empty:
        return
    shown = cap_columns(proposals[[c for c in REVIEW_SHOWN if c in proposals]]).assign(accept=False)
    edited = st.data_editor(shown, key=REVIEW_KEY, hide_index=True, num_rows="fixed",
                            disabled=[c for c in shown.columns if c != "accept"],
                            column_config={"accept": st.column_config.CheckboxColumn(
                                "accept", help="Link this supplier (or buyer) to the candidate")})
    accepted = frozenset(proposals.loc[edited["accept"].fillna(False).astype(bool).to_numpy(), "match_key"])
    if accepted != state["accepted"]:
        state["accepted"] = accepted
        st.rerun()


def confirm_button(preview, state: dict) -> None:
    """Confirm: import the preview as a new version, make it active and rerun (the pages then serve it)."""
    note = st.text_input("A note for the version history (optional)", key="import_note", max_chars=200)
    changes = getattr(preview, "changes", 1)
    ok = bool(preview.ok) and changes > 0
    if preview.ok and not changes:
        st.info("Nothing to import: the upload changes no row of the active dataset.", icon=":material/info:")
    if not st.button("Confirm the import", type="primary", disabled=not ok, key="import_confirm",
                     icon=":material/publish:",
                     help=None if ok else "Nothing is imported until every problem is fixed and a row changes."):
        return
    try:
        with st.spinner("Building the new version…"):
            manifest = importer.confirm(preview, message=note)
    except EXPECTED as exc:
        error(exc, state["folder"])
        return
    st.session_state[FLASH] = f"Imported: version {manifest.version} is now active."
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1  # a fresh, empty uploader
    _forget()
    st.rerun()


def _switch(action, message: str) -> None:
    try:
        manifest = action()
    except EXPECTED as exc:
        error(exc)
        return
    st.session_state[FLASH] = message.format(version=manifest.version)
    st.rerun()


def history() -> None:
    """Every imported version (newest first), "Use this version" for each inactive one, and "Roll back"."""
    try:
        manifests = workspace.list_versions()
    except EXPECTED as exc:
        error(exc)
        return
    if not manifests:
        st.caption("No imported versions yet: the bundled sample is in force.")
        return
    frame = pd.DataFrame([{
        "version": m.version, "created": m.created_at, "parent": m.parent or "", "name": m.name or "",
        "data date": m.data_date or "", "rows": sum(m.rows.values()), "sources": "; ".join(s.name for s in m.sources),
        "normalisations": "; ".join(m.normalisations), "note": m.message, "synthetic": m.synthetic,
        "active": m.active} for m in manifests])
    st.dataframe(cap_columns(frame), hide_index=True)
    current = next((m for m in manifests if m.active), None)
    if current is not None and current.parent:
        if st.button(f"Roll back to {md_text(current.parent)}", key="rollback", icon=":material/undo:",
                     help="Make the version this one was imported onto the active one again"):
            _switch(workspace.rollback, "Rolled back: version {version} is active again.")
    for m in manifests:
        if m.active:
            continue
        with st.container(horizontal=True, vertical_alignment="center", key=f"version-{m.version}"):
            st.markdown(f"**{md_text(m.version)}** · {md_text(m.name or 'Imported data')} · data to "
                        f"{md_text(_day(m.data_date))}")
            if st.button("Use this version", key=f"use-{m.version}", icon=":material/restore:"):
                _switch(lambda v=m.version: workspace.activate(v), "Version {version} is now active.")
