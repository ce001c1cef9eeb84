"""Organisation identifiers and names, normalised the same way for extraction and matching.

* Any id: stripped; a whole number written as a float by a spreadsheet (``"11111111.0"``) loses the ``.0``.
* ``GB-COH`` (Companies House): upper case, spaces removed, digits zero-padded: 8 digits, or a 2-letter prefix
  (SC, NI, OC, SO, NC, IP, RS, ...) and 6 digits (``"4142000"`` -> ``"04142000"``, ``"SC12345"`` -> ``"SC012345"``).
  Anything else (``"458577871"``, 9 digits) is not a company number: reported, never matched.
* ``GB-CHC`` (Charity Commission): digits, leading zeros dropped, an optional ``-N`` subsidiary suffix kept.
* ``GB-MPR`` (Mutuals Public Register, FCA society number): ``IP12345R``/``12345R`` -> ``12345R``, ``RS007`` ->
  ``RS7``. The mutuals table has no society column, so it is matched against ``company_number`` only when that
  looks like a society number (see :func:`society_number`).
* Names: casefold, ``&`` -> ``and``, dots and apostrophes dropped (``C.I.C.`` -> ``cic``), other punctuation ->
  space, whitespace collapsed, a leading ``the`` and trailing legal suffixes stripped.
"""

from __future__ import annotations

import re

__all__ = ["canonical", "charity_number", "clean_id", "company_number", "normalise_name", "society_number"]

_FLOAT_ID = re.compile(r"^([0-9]+)\.0+$")
_SUFFIXES = ("community interest company", "limited", "ltd", "cic", "plc", "llp")


def clean_id(value) -> str:
    """An id as text: stripped, with a spreadsheet's ``.0`` removed; '' for None."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    match = _FLOAT_ID.match(text)
    return match.group(1) if match else text


def company_number(value) -> str | None:
    """A Companies House number in its 8-character form, or None when it cannot be one."""
    text = re.sub(r"\s+", "", clean_id(value)).upper()
    if re.fullmatch(r"[0-9]{1,8}", text):
        return text.zfill(8)
    match = re.fullmatch(r"([A-Z]{2})([0-9]{1,6})", text)
    return match.group(1) + match.group(2).zfill(6) if match else None


def charity_number(value) -> str | None:
    """A Charity Commission number without leading zeros (``-N`` suffix kept), or None."""
    match = re.fullmatch(r"0*([0-9]{1,8})(-[0-9]+)?", re.sub(r"\s+", "", clean_id(value)))
    return match.group(1) + (match.group(2) or "") if match else None


def society_number(value) -> str | None:
    """An FCA society number (``IP12345R``, ``12345R``, ``RS007``) in a comparable form, or None."""
    text = re.sub(r"\s+", "", clean_id(value)).upper()
    match = re.fullmatch(r"(?:IP)?0*([0-9]{1,7})R", text)
    if match:
        return f"{match.group(1)}R"
    match = re.fullmatch(r"RS0*([0-9]{1,7})", text)
    return f"RS{match.group(1)}" if match else None


CANONICAL = {"GB-COH": company_number, "GB-CHC": charity_number, "GB-MPR": society_number}


def canonical(scheme: str, value) -> str | None:
    """The comparable form of an id in ``scheme`` (None when invalid); other schemes: the cleaned id."""
    convert = CANONICAL.get(scheme.upper())
    return convert(value) if convert else (clean_id(value) or None)


def normalise_name(name) -> str:
    """The name used for matching (see the module docstring)."""
    text = str(name or "").casefold().replace("&", " and ")
    text = re.sub(r"[.'\u2019]", "", text)
    text = re.sub(r"[^\w\s]|_", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^the ", "", text)
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if text.endswith(" " + suffix):
                text, changed = text[: -len(suffix) - 1].rstrip(), True
    return text
