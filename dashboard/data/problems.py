"""Validation findings: every problem names the file, row, column, value and rule broken."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One finding about one input.

    ``row`` is the row number an analyst sees when the file is opened: for CSV and Excel the
    spreadsheet row (the header is row 1); for boundaries the feature number (1-based); None
    when the finding is about the whole file or column.
    """

    file: str
    rule: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"  # or "warning": reported, does not stop publishing

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        shown = "" if self.value is None else f" (value {_short(self.value)!r})"
        return f"{', '.join(where)}: {self.message}{shown} [{self.rule}]"


def _short(value: str, limit: int = 60) -> str:
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass
class Findings:
    """Collects problems from every reader so that all are reported, not only the first."""

    problems: list[Problem] = field(default_factory=list)
    # Stop listing individual rows of one rule in one file after this many; count the rest.
    per_rule_limit: int = 200
    _counts: dict[tuple[str, str, str | None], int] = field(default_factory=dict)
    # Every problem found, listed or not, by severity.
    _totals: dict[str, int] = field(default_factory=dict)

    def add(self, file, rule, message, row=None, column=None, value=None, severity="error") -> None:
        key = (str(file), rule, column)
        n = self._counts.get(key, 0) + 1
        self._counts[key] = n
        self._totals[severity] = self._totals.get(severity, 0) + 1
        if n <= self.per_rule_limit:
            self.problems.append(Problem(str(file), rule, message, row, column,
                                         None if value is None else str(value), severity))

    def add_rows(self, file, rule, message, rows, column=None, values=None, severity="error") -> None:
        """Record one problem per offending row (``rows`` are display row numbers)."""
        values = [None] * len(rows) if values is None else list(values)
        for r, v in zip(list(rows), values):
            self.add(file, rule, message, int(r), column, v, severity)

    def add_rows_by_file(self, frame, rule, message, column, value_column=None, severity="warning") -> None:
        """One problem per row of a frame that carries ``source_file`` and ``source_row``: the
        first rows of each file up to the listing limit are listed, the rest counted."""
        for file, part in frame.groupby("source_file", sort=False, observed=True):
            key = (str(file), rule, column)
            room = max(self.per_rule_limit - self._counts.get(key, 0), 0)
            for rec in part.head(room).itertuples(index=False):
                value = getattr(rec, value_column) if value_column else None
                self.add(rec.source_file, rule, message, int(rec.source_row), column, value, severity)
            unlisted = max(len(part) - room, 0)
            self._counts[key] = self._counts.get(key, 0) + unlisted
            self._totals[severity] = self._totals.get(severity, 0) + unlisted

    def warning_summary(self) -> dict[tuple[str, str], int]:
        """Warnings counted by rule (including those past the listing limit)."""
        out: dict[tuple[str, str], int] = {}
        messages = {(p.rule, p.column): p.message for p in self.warnings}
        for (_file, rule, column), n in self._counts.items():
            if (rule, column) in messages:
                key = (rule, messages[(rule, column)])
                out[key] = out.get(key, 0) + n
        return out

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def count(self, severity: str = "error") -> int:
        """How many problems of this severity were found, including those past the listing limit."""
        return self._totals.get(severity, 0)

    def omitted(self) -> dict[tuple[str, str, str | None], int]:
        return {k: n - self.per_rule_limit for k, n in self._counts.items() if n > self.per_rule_limit}

    def report_text(self, title: str) -> str:
        lines = [title, "=" * len(title), ""]
        errors, warnings = self.errors, self.warnings
        lines.append(f"{self.count('error'):,} error(s), {self.count('warning'):,} warning(s) found; "
                     f"{len(errors):,} and {len(warnings):,} listed.")
        for (f, rule, col), extra in sorted(self.omitted().items()):
            lines.append(f"  … and {extra} more of rule {rule} in {f}"
                         + (f" column {col!r}" if col else "") + " not listed individually")
        for heading, items in (("Errors (nothing was published)", errors) if errors else ("Errors", []),
                               ("Warnings", warnings)):
            if items:
                lines += ["", heading, "-" * len(heading)]
                lines += [f"- {p}" for p in items]
        return "\n".join(lines) + "\n"

    def report_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["severity", "file", "row", "column", "value", "rule", "message"])
        for p in self.problems:
            w.writerow([p.severity, p.file, "" if p.row is None else p.row, p.column or "",
                        "" if p.value is None else p.value, p.rule, p.message])
        return buf.getvalue()

