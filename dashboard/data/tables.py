"""Reading tabular inputs (CSV, Excel) and checking them against declared column specs.

Each input format is declared once as a list of :class:`ColumnSpec`. From that one
declaration come the pandera schema that checks values, the readable messages for each rule,
and the tables in ``docs/data-formats.md``. Every cell is read as text first so that nothing
is silently coerced; typed columns are then converted and every cell that does not convert is
reported with its spreadsheet row.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .problems import Findings

ROW = "source_row"  # the spreadsheet row number an analyst sees (header = row 1)

# A text cell that a spreadsheet would run as a formula (CSV injection, OWASP).
FORMULA_PATTERN = r"^(?:[=+@\t\r]|-(?![\d.]))"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # "text", "int", "float", "date", "code"
    description: str
    required: bool = True  # the column must be present
    nullable: bool = False  # cells may be blank
    allowed: tuple | None = None  # for text columns, the values allowed
    minimum: float | None = None
    minimum_exclusive: bool = False
    maximum: float | None = None
    unique: bool = False
    example: str = ""


RULE_MESSAGES = {
    "missing_value": "a value is required here",
    "not_number": "not a number",
    "not_whole_number": "not a whole number",
    "not_date": "not a date (use YYYY-MM-DD)",
    "not_allowed": "not one of the allowed values",
    "below_minimum": "below the smallest value allowed",
    "above_maximum": "above the largest value allowed",
    "duplicate": "appears more than once; each value must be unique",
    "formula": "text that a spreadsheet would run as a formula is not accepted",
}


def pandera_schema(specs: list[ColumnSpec], name: str) -> pa.DataFrameSchema:
    """The pandera schema of an input format, over columns already converted to their kind."""
    columns = {}
    for s in specs:
        checks = []
        if s.allowed is not None:
            checks.append(pa.Check.isin(list(s.allowed), error="not_allowed"))
        if s.minimum is not None:
            check = pa.Check.gt if s.minimum_exclusive else pa.Check.ge
            checks.append(check(s.minimum, error="below_minimum"))
        if s.maximum is not None:
            checks.append(pa.Check.le(s.maximum, error="above_maximum"))
        dtype = {"text": str, "code": str, "int": "Int64", "float": float, "date": "datetime64[ns]"}[s.kind]
        # Blanks are reported by convert() with their own rule, so pandera sees them as allowed.
        columns[s.name] = pa.Column(dtype, checks, nullable=True, unique=False, required=s.required)
    return pa.DataFrameSchema(columns, name=name, strict=False)


def _decode(path: Path, data: bytes, findings: Findings) -> str | None:
    try:
        return data.decode("utf-8-sig")  # accepts a byte-order mark, as Excel writes one
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.add(path, "encoding",
                     f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} "
                     "(save it as 'CSV UTF-8')", row=line)
        return None


def read_table(path: Path, findings: Findings, expected: list[str], *, sheet=0) -> pd.DataFrame | None:
    """Read a CSV or Excel file as text cells with a ``source_row`` column (ROW); None when unreadable.

    ``expected`` are the column names the format requires; they are used to tell a title row
    above the header from a header that is simply wrong.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, engine="openpyxl")
            raw = raw.fillna("")
            if raw.empty:
                findings.add(path, "empty_file", "the file is empty: it has no header and no rows")
                return None
            header = [str(c).strip() for c in raw.iloc[0]]
            body = raw.iloc[1:]
            if not set(expected) & set(header):
                for i in range(1, min(len(raw), 15)):
                    if set(expected) <= {str(c).strip() for c in raw.iloc[i]}:
                        findings.add(path, "title_rows",
                                     f"the header must be in row 1 but was found in row {i + 1}: "
                                     f"delete the title rows 1 to {i} above it", row=1)
                        return None
            frame = pd.DataFrame(body.to_numpy(), columns=header)
            frame[ROW] = np.arange(2, len(frame) + 2)
        elif suffix in (".csv", ".txt"):
            data = path.read_bytes()
            if not data.strip():
                findings.add(path, "empty_file", "the file is empty: it has no header and no rows")
                return None
            text = _decode(path, data, findings)
            if text is None:
                return None
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                skip_blank_lines=False)
            frame.columns = [str(c).strip() for c in frame.columns]
            frame[ROW] = np.arange(2, len(frame) + 2)
        else:
            findings.add(path, "file_type", f"unsupported file type {suffix!r}: use .csv or .xlsx")
            return None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        findings.add(path, "unreadable", f"the file could not be read as a table: {exc}")
        return None
    frame = frame.fillna("")
    cells = frame.drop(columns=ROW)
    blank = (cells.apply(lambda c: c.str.strip()) == "").all(axis=1)
    frame = frame.loc[~blank].reset_index(drop=True)
    dupes = [c for c in frame.columns if list(frame.columns).count(c) > 1]
    if dupes:
        findings.add(path, "duplicate_column", f"column {dupes[0]!r} appears more than once in the header",
                     row=1, column=dupes[0])
        return None
    if frame.empty:
        findings.add(path, "no_rows", "the file has a header but no data rows", row=2)
        return None
    return frame


def check_columns(frame: pd.DataFrame, specs: list[ColumnSpec], path, findings: Findings,
                  extra_ok: set[str] | None = None) -> bool:
    """Report required columns that are missing (with the nearest name found); False if any."""
    present = [c for c in frame.columns if c != ROW]
    ok = True
    for s in specs:
        if s.required and s.name not in frame.columns:
            near = difflib.get_close_matches(s.name, present, n=1, cutoff=0.6)
            hint = f"; found {near[0]!r} — rename it to {s.name!r}" if near else ""
            findings.add(path, "missing_column", f"required column is missing{hint}", row=1, column=s.name)
            ok = False
    known = {s.name for s in specs} | (extra_ok or set())
    for c in present:
        if c not in known:
            findings.add(path, "unknown_column", "column is not part of the format and is ignored",
                         row=1, column=c, severity="warning")
    return ok


def check_formulas(frame: pd.DataFrame, path, findings: Findings) -> None:
    """Reject text a spreadsheet would run as a formula (same rule as FORMULA_PATTERN, vectorised)."""
    digits = list("0123456789.")
    for col in frame.columns:
        if col == ROW:
            continue
        first = frame[col].str[:1]
        hit = first.isin(["=", "+", "@", "\t", "\r"]) | ((first == "-") & ~frame[col].str[1:2].isin(digits))
        if hit.any():
            findings.add_rows(path, "formula", RULE_MESSAGES["formula"], frame.loc[hit, ROW], col,
                              frame.loc[hit, col])


def convert(frame: pd.DataFrame, specs: list[ColumnSpec], path, findings: Findings) -> pd.DataFrame:
    """Convert text cells to each column's kind, then run the pandera schema; report every failure.

    Returns the typed frame (failed cells become missing) with ``source_row`` (ROW) kept.
    """
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({ROW: frame[ROW].to_numpy()})
    for s in specs:
        if s.name not in frame.columns:
            continue
        text = frame[s.name].str.strip()
        blank = text == ""
        if not s.nullable and blank.any():
            findings.add_rows(path, "missing_value", RULE_MESSAGES["missing_value"], frame.loc[blank, ROW], s.name)
        if s.kind in ("int", "float"):
            num = pd.to_numeric(text.where(~blank), errors="coerce")
            bad = num.isna() & ~blank
            if bad.any():
                findings.add_rows(path, "not_number", RULE_MESSAGES["not_number"], frame.loc[bad, ROW], s.name,
                                  frame.loc[bad, s.name])
            if s.kind == "int":
                frac = num.notna() & (num != np.floor(num.fillna(0)))
                if frac.any():
                    findings.add_rows(path, "not_whole_number", RULE_MESSAGES["not_whole_number"],
                                      frame.loc[frac, ROW], s.name, frame.loc[frac, s.name])
                num = num.where(~frac).round().astype("Int64")
            else:
                num = num.astype(float)
            out[s.name] = num.to_numpy()
        elif s.kind == "date":
            dates = pd.to_datetime(text.where(~blank), errors="coerce", format="mixed", dayfirst=False)
            bad = dates.isna() & ~blank
            if bad.any():
                findings.add_rows(path, "not_date", RULE_MESSAGES["not_date"], frame.loc[bad, ROW], s.name,
                                  frame.loc[bad, s.name])
            out[s.name] = dates.astype("datetime64[ns]").to_numpy()
        else:
            out[s.name] = text.where(~blank).reset_index(drop=True)
        if s.unique:
            vals = out[s.name]
            dup = vals.notna() & vals.duplicated(keep=False)
            if dup.any():
                findings.add_rows(path, "duplicate", RULE_MESSAGES["duplicate"], out.loc[dup, ROW], s.name,
                                  frame.loc[dup, s.name])
    schema = pandera_schema([s for s in specs if s.name in out.columns], name=str(path))
    try:
        schema.validate(out, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for rec in cases.itertuples(index=False):
            rule = str(rec.check)
            if rule not in RULE_MESSAGES or pd.isna(rec.index):
                continue
            spec = next(s for s in specs if s.name == rec.column)
            findings.add(path, rule, _limit_message(rule, spec), row=int(out.at[int(rec.index), ROW]),
                         column=str(rec.column), value=rec.failure_case)
    return out


def _limit_message(rule: str, spec: ColumnSpec) -> str:
    if rule == "not_allowed":
        shown = ", ".join(map(str, spec.allowed[:12])) + (", …" if len(spec.allowed) > 12 else "")
        return f"not one of the allowed values ({shown})"
    if rule == "below_minimum":
        return f"must be {'greater than' if spec.minimum_exclusive else 'at least'} {spec.minimum:g}"
    if rule == "above_maximum":
        return f"must be at most {spec.maximum:g}"
    return RULE_MESSAGES[rule]


def read_checked(path: Path, specs: list[ColumnSpec], findings: Findings) -> pd.DataFrame | None:
    """Read a table, check its columns and formulas, convert it: the usual path of one input."""
    raw = read_table(path, findings, [s.name for s in specs if s.required])
    if raw is None or not check_columns(raw, specs, path, findings):
        return None
    check_formulas(raw, path, findings)
    return convert(raw, specs, path, findings)


def spec_table_markdown(specs: list[ColumnSpec]) -> str:
    """The Markdown table of a format: ``dashboard docs`` writes it into docs/data-formats.md
    (dashboard.docsgen), and tests/unit/test_docs.py fails when the committed doc differs."""
    lines = ["| column | type | required | rule | description | example |", "|---|---|---|---|---|---|"]
    for s in specs:
        rule = []
        if s.allowed is not None:
            rule.append("one of " + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in s.allowed))
        if s.minimum is not None:
            rule.append(("> " if s.minimum_exclusive else ">= ") + f"{s.minimum:g}")
        if s.maximum is not None:
            rule.append(f"<= {s.maximum:g}")
        if s.unique:
            rule.append("unique")
        if s.nullable:
            rule.append("may be blank")
        cells = [f"`{s.name}`", s.kind, "yes" if s.required else "no", "; ".join(rule), s.description, s.example]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
