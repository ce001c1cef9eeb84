"""The data contract's limits (``mutuals/config/contract.toml``): dates, text lengths, empty tables."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

CONTRACT_PATH = Path(__file__).resolve().parents[1] / "config" / "contract.toml"


@dataclass(frozen=True)
class Limits:
    earliest_date: date
    latest_date: date
    name_columns: tuple[str, ...]
    name_max_chars: int
    text_max_chars: int
    may_be_empty: tuple[str, ...]
    required_info: dict[str, str]  # dataset_info key -> schema type of its value
    upload_max_bytes: int = 200 * 1024 * 1024  # [import] upload_max_mb
    import_ui_enabled: bool = True             # [import] ui_enabled

    def max_chars(self, column: str) -> int:
        """The longest value ``column`` may hold."""
        return self.name_max_chars if column in self.name_columns else self.text_max_chars


def parse_limits(raw: dict, path: Path = CONTRACT_PATH) -> Limits:
    """Check and build :class:`Limits` from the parsed TOML."""
    try:
        limits = Limits(
            earliest_date=raw["dates"]["earliest"], latest_date=raw["dates"]["latest"],
            name_columns=tuple(raw["text"]["name_columns"]), name_max_chars=int(raw["text"]["name_max_chars"]),
            text_max_chars=int(raw["text"]["text_max_chars"]), may_be_empty=tuple(raw["tables"]["may_be_empty"]),
            required_info=dict(raw["dataset_info"]["required"]),
            upload_max_bytes=int(raw.get("import", {}).get("upload_max_mb", 200)) * 1024 * 1024,
            import_ui_enabled=bool(raw.get("import", {}).get("ui_enabled", True)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: the data contract's limits are incomplete or malformed ({exc!r})") from exc
    if not (isinstance(limits.earliest_date, date) and isinstance(limits.latest_date, date)
            and limits.earliest_date < limits.latest_date):
        raise ValueError(f"{path}: dates.earliest and dates.latest must be dates, earliest first")
    if not 0 < limits.name_max_chars <= limits.text_max_chars:
        raise ValueError(f"{path}: text limits must be positive, names no longer than other text")
    return limits


@lru_cache(maxsize=1)
def load_limits() -> Limits:
    """The contract's limits (read once per process: the build's own inputs include this file)."""
    return parse_limits(tomllib.loads(CONTRACT_PATH.read_text(encoding="utf-8")))
