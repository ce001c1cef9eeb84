"""Command line: ``python -m mutuals <command>``; ``--help`` lists the commands."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from mutuals.formatting import reasons_text
from mutuals.infra import versions
from mutuals.infra.build import BuildError
from mutuals.infra.db import DATA_DIR, DEFAULT_DB_PATH, Database


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of megabytes above 0, got {text!r}")
    return value


def cmd_generate(args: argparse.Namespace) -> int:
    from mutuals.sample.generate import generate, write_csvs

    started = time.perf_counter()
    paths = write_csvs(generate(args.mutuals, args.seed), Path(args.out))
    print(f"wrote {len(paths)} files to {args.out} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Validate the CSVs and publish them as the version in force for --db (a running app switches to it)."""
    started = time.perf_counter()
    try:
        published = versions.publish(args.data, args.db, force=True)
    except BuildError as exc:
        published, message = None, str(exc)
    else:
        message = published.problem
    if message:
        print(f"build failed: {message}", file=sys.stderr)
        kept = f"; {published.path} is still the version in force" if published else ""
        print(f"the existing database (if any) was left untouched{kept}", file=sys.stderr)
        return 1
    for note in published.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"built {published.path} in {time.perf_counter() - started:.2f} s, now in force for {args.db}",
          file=sys.stderr)
    return 0


def _open_db(args: argparse.Namespace) -> Database:
    """Open the database, building it first from --data (or data/ for the default file) when stale."""
    db_path = Path(args.db)
    if args.data or db_path == DEFAULT_DB_PATH:
        return Database(versions.current_database(args.data or DATA_DIR, db_path))
    return Database(versions.resolve(db_path))


def cmd_indicators(args: argparse.Namespace) -> int:
    import pandas as pd

    from mutuals.services.indicators import compute_indicators, output_columns

    with _open_db(args) as db:
        frame = compute_indicators(db, args.as_of, min_respondents=args.min_respondents)
    frame = frame[output_columns()]
    if args.format == "json":
        frame = frame.assign(overall_reasons=frame["overall_reasons"].map(reasons_text))
        for col in frame.columns:
            if str(frame[col].dtype).startswith(("datetime", "date")):  # ISO text; a missing date is null
                frame[col] = frame[col].map(lambda v: None if pd.isna(v) else str(v)).astype(object)
        text = frame.to_json(orient="records", date_format="iso", indent=1, force_ascii=False)
        sys.stdout.write(text + "\n")
    else:
        from mutuals.reports.csv_export import write_csv  # the app's one CSV writer (guards formulas)

        write_csv(frame, sys.stdout, float_format="%.10g")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from mutuals.services.backtest import run_backtest
    from mutuals.services.backtest_tables import backtest_json, backtest_table, backtest_tables

    with _open_db(args) as db:
        try:
            result = run_backtest(db, args.horizon_years)
        except (ValueError, LookupError) as exc:
            print(f"backtest: {exc}", file=sys.stderr)
            return 2
    if args.format == "json":
        sys.stdout.write(backtest_json(result) + "\n")
    elif args.format == "csv":
        from mutuals.reports.csv_export import write_csv  # the app's one CSV writer (guards formulas)

        write_csv(backtest_tables(result), sys.stdout, float_format="%.6g")
    else:
        sys.stdout.write(backtest_table(result))
    return 0


def cmd_boardpack(args: argparse.Namespace) -> int:
    from mutuals.reports.boardpack import write_board_pack

    with _open_db(args) as db:
        try:
            path = write_board_pack(db, args.mutual_id, Path(args.out), as_of=args.as_of)
        except LookupError as exc:
            print(f"boardpack: {exc}", file=sys.stderr)
            return 2
    print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from mutuals.reports.templates import csv_template_zip, xlsx_template

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(xlsx_template() if args.format == "xlsx" else csv_template_zip())
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _finish(preview, dry_run: bool, message: str) -> int:
    """Print the preview; 2 when it has problems; else confirm it (unless a dry run) and print the version."""
    from mutuals.services import importer

    print(importer.preview_text(preview))
    if not preview.ok:
        print(f"import refused: {preview.report.total:,} problem(s); nothing was changed", file=sys.stderr)
        return 2
    if dry_run:
        print("dry run: no version made", file=sys.stderr)
        return 0
    if preview.changes == 0:
        print("nothing to import: no version made", file=sys.stderr)
        return 0
    try:
        manifest = importer.confirm(preview, message=message)
    except ValueError as exc:
        print(f"import refused: {exc}", file=sys.stderr)
        return 1
    print(f"version {manifest.version} is active")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from mutuals.services import importer

    limit = None if args.max_mb is None else args.max_mb * 1024 * 1024
    if args.tables is None and args.mode is None:
        preview = importer.preview_dataset(Path(args.path), max_bytes=limit)
    else:
        tables = [t.strip() for t in (args.tables or "").split(",") if t.strip()] or None
        preview = importer.preview_tables(Path(args.path), mode=args.mode or "append", tables=tables,
                                          max_bytes=limit)
    return _finish(preview, args.dry_run, args.message or f"import {Path(args.path).name}")


def cmd_import_ocds(args: argparse.Namespace) -> int:
    from mutuals.services import importer

    accepted = importer.read_accepted(Path(args.accept)) if args.accept else set()
    preview = importer.preview_ocds([Path(p) for p in args.paths], accepted=accepted, as_of=args.as_of)
    names = ", ".join(Path(p).name for p in args.paths)
    return _finish(preview, args.dry_run, args.message or f"import-ocds {names}"[:200])


def cmd_versions(args: argparse.Namespace) -> int:
    from mutuals.infra import workspace

    try:
        if args.action == "use":
            if not args.id:
                print("versions use: give the version id (see versions list)", file=sys.stderr)
                return 2
            print(f"version {workspace.activate(args.id).version} is active")
        elif args.action == "rollback":
            print(f"rolled back: version {workspace.rollback().version} is active")
        else:
            found = workspace.list_versions()
            if not found:
                print("no imported versions: the bundled sample is served")
            for m in found:
                rows = sum(m.rows.values())
                print(f"{'*' if m.active else ' '} {m.version}  parent {m.parent or '-'}  {rows:,} rows  "
                      f"data date {m.data_date or '-'}  {'synthetic' if m.synthetic else 'not synthetic'}  "
                      f"{m.name or ''}  {m.message}".rstrip())
    except workspace.WorkspaceError as exc:
        print(f"versions: {exc}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    """The command's argument parser."""
    return parsers()[0]


def parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The command's parser and each subcommand's, by name."""
    from mutuals.sample.generate import DEFAULT_MUTUALS, DEFAULT_SEED

    top = argparse.ArgumentParser(prog="python -m mutuals", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a seeded synthetic data set (one CSV per table)")
    gen.add_argument("--mutuals", type=int, default=DEFAULT_MUTUALS, help="number of mutuals (default %(default)s)")
    gen.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    gen.add_argument("--out", default=str(DATA_DIR), help="output folder (default data/)")
    gen.set_defaults(func=cmd_generate)

    bld = sub.add_parser("build", help="validate the CSVs and publish them as a new database version")
    bld.add_argument("--data", default=str(DATA_DIR), help="folder of CSVs (default data/)")
    bld.add_argument("--db", default=str(DEFAULT_DB_PATH), help="database file (default data/mutuals.duckdb)")
    bld.set_defaults(func=cmd_build)

    def db_options(p: argparse.ArgumentParser, as_of: bool = True) -> None:
        p.add_argument("--db", default=str(DEFAULT_DB_PATH), help="database file (built if missing)")
        p.add_argument("--data", default=None, help="folder of CSVs to build from when the database is missing")
        if as_of:
            p.add_argument("--as-of", type=_iso_date, default=None,
                           help="as-of date YYYY-MM-DD (default: the data date)")

    ind = sub.add_parser("indicators", help="print every mutual's indicators, statuses and overall status")
    db_options(ind)
    ind.add_argument("--format", choices=["csv", "json"], default="csv")
    ind.add_argument("--min-respondents", type=int, default=None,
                     help="survey suppression threshold (default: min_respondents in the rules config)")
    ind.set_defaults(func=cmd_indicators)

    bt = sub.add_parser("backtest", help="replay the rules on past dates: event rate by overall status")
    db_options(bt, as_of=False)
    bt.add_argument("--horizon-years", type=int, default=None,
                    help="count adverse events within this many years (default: horizon_years in the rules config)")
    bt.add_argument("--format", choices=["table", "csv", "json"], default="table")
    bt.set_defaults(func=cmd_backtest)

    pack = sub.add_parser("boardpack", help="write a mutual's board pack as PDF")
    pack.add_argument("mutual_id")
    db_options(pack)
    pack.add_argument("--out", required=True, help="output PDF path")
    pack.set_defaults(func=cmd_boardpack)

    tpl = sub.add_parser("template", help="write the data import template (XLSX, or a ZIP of CSVs)")
    tpl.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    tpl.add_argument("--out", required=True, help="output file (.xlsx, or .zip for csv)")
    tpl.set_defaults(func=cmd_template)

    imp = sub.add_parser("import", help="validate a dataset (or some tables) and import it as a new version",
                         description="PATH: a folder or ZIP of CSVs, or an XLSX, one per table. Without --tables "
                                     "or --mode it is a whole dataset; with them, the tables are added to the "
                                     "active dataset. Exits 2 with every problem when validation fails.")
    imp.add_argument("path", help="folder, ZIP, XLSX or one CSV")
    imp.add_argument("--tables", default=None, help="comma-separated tables to import into the active dataset")
    imp.add_argument("--mode", choices=["append", "replace"], default=None,
                     help="append rows, or replace the rows of the mutuals they mention (default append)")
    imp.add_argument("--dry-run", action="store_true", help="validate and show the changes; make no version")
    imp.add_argument("--max-mb", type=_positive, default=None, metavar="MB",
                     help="the most data to read (default: [import] upload_max_mb of the config)")
    imp.add_argument("--message", default=None, help="a note kept in the version's manifest")
    imp.set_defaults(func=cmd_import)

    ocds = sub.add_parser("import-ocds", help="import contracts from OCDS files for matched mutuals",
                          description="Prints the matching review table; only identifier matches and the "
                                      "match_key values listed in --accept become contract rows.")
    ocds.add_argument("paths", nargs="+", metavar="PATH", help="OCDS JSON files, folders or ZIPs")
    ocds.add_argument("--accept", default=None, metavar="FILE_OF_MATCHES",
                      help="a file of accepted match_key values, one a line")
    ocds.add_argument("--as-of", type=_iso_date, default=None,
                      help="active/expired as of YYYY-MM-DD (default: the active dataset's data date)")
    ocds.add_argument("--dry-run", action="store_true", help="show the review and the changes; make no version")
    ocds.add_argument("--message", default=None, help="a note kept in the version's manifest")
    ocds.set_defaults(func=cmd_import_ocds)

    ver = sub.add_parser("versions", help="list the imported versions, use one, or roll back")
    ver.add_argument("action", nargs="?", choices=["list", "use", "rollback"], default="list")
    ver.add_argument("id", nargs="?", default=None, help="the version id, for use")
    ver.set_defaults(func=cmd_versions)
    return top, {"generate": gen, "build": bld, "indicators": ind, "backtest": bt, "boardpack": pack,
                 "template": tpl, "import": imp, "import-ocds": ocds, "versions": ver}


def help_text(width: int = 100) -> str:
    """The ``--help`` of the command and of each subcommand, as the README shows it (fixed width)."""
    import os

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)  # argparse wraps to the terminal width
    try:
        top, subcommands = parsers()
        parts = [top.format_help()] + [sub.format_help() for sub in subcommands.values()]
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(part.rstrip() + "\n" for part in parts)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
