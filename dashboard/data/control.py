"""Control totals: how much data each input brought, compared with what the live snapshot had.

A survey export cut short at a line end parses cleanly: every row it has is valid, so the row
checks cannot see what is missing. Its counts can. Every ingest counts

* ``respondents``: respondent rows per survey and period (respondent-level files);
* ``aggregated_bases``: the sum of the ``base`` column per survey and period (aggregated tables,
  where a survey arrives that way);
* ``crime_rows``: police.uk rows per month, every row read (before the join to areas);

records them in the manifest of the snapshot it publishes, and compares them with the counts in
the live snapshot's manifest, so no respondent data is needed for the comparison.

The rule (docs/data-formats.md, "Control totals"): a period is *complete* in the live snapshot
when the live snapshot has a later period of the same kind and survey (for crime, a later
month); the latest one may still be filling up, so it is not compared. A count that falls in a
complete period by more than ``[inputs] max_count_drop`` of the live count (default 0.10) is an
error naming the file(s) and the period, unless the analyst accepts that fall by name
(``--accept-drop SURVEY:PERIOD``, ``--accept-drop SURVEY`` for every period of a survey, ``crime``
for the crime months, ``all`` for every fall) with a reason; accepted falls are recorded in the new manifest. Rises are
never errors. A period the live snapshot has and the new data lacks has fallen to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..config import ForceConfig

KINDS = {"respondents": "respondents", "aggregated_bases": "summed aggregated bases", "crime_rows": "crime rows"}
CRIME = "crime"  # the group name of the crime months, as --accept-drop takes it
ACCEPT_ALL = "all"  # --accept-drop all: every fall (the demo store rebuilt by new code, say)
COLUMNS = ["kind", "group", "period", "count", "files"]


def count_inputs(respondents: list[pd.DataFrame], aggregated: list[pd.DataFrame], crime: pd.DataFrame | None,
                 config: ForceConfig) -> pd.DataFrame:
    """One row per kind × group (survey code, or ``crime``) × period: the count and the files it came from."""
    parts = []
    survey_of = {i.id: i.survey for i in config.indicators}
    for kind, frames, group, weight in (
            ("respondents", respondents, lambda f: f["survey"], None),
            ("aggregated_bases", aggregated, lambda f: f["indicator"].map(survey_of), "base")):
        for f in frames:
            if len(f):
                parts.append(pd.DataFrame({"kind": kind, "group": group(f).astype(str).to_numpy(),
                                           "period": f["period"].astype(str).to_numpy(),
                                           "count": 1 if weight is None else f[weight].to_numpy("int64"),
                                           "file": f["source_file"].astype(str).to_numpy()}))
    if crime is not None and len(crime):
        parts.append(pd.DataFrame({"kind": "crime_rows", "group": CRIME,
                                   "period": crime["Month"].astype(str).to_numpy(), "count": 1,
                                   "file": crime["source_file"].astype(str).to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    long = pd.concat(parts, ignore_index=True)
    keys = ["kind", "group", "period"]
    out = long.groupby(keys, sort=True)["count"].sum().reset_index()
    files = long.groupby(keys, sort=True)["file"].agg(lambda s: tuple(dict.fromkeys(s)))
    out["files"] = files.to_numpy()
    out["count"] = out["count"].astype("int64")
    return out[COLUMNS]


def as_manifest(counts: pd.DataFrame) -> dict:
    """``{kind: {group: {period: count}}}``, as the manifest records them."""
    out: dict = {}
    for kind, group, period, count in counts[["kind", "group", "period", "count"]].itertuples(index=False, name=None):
        out.setdefault(kind, {}).setdefault(group, {})[period] = int(count)
    return out


@dataclass(frozen=True)
class Fall:
    """A count that fell in a period complete in the live snapshot."""

    kind: str
    group: str
    period: str
    live: int
    new: int
    files: tuple[str, ...]

    @property
    def fraction(self) -> float:
        return (self.live - self.new) / self.live

    @property
    def name(self) -> str:
        """How ``--accept-drop`` names it: ``SURVEY:PERIOD`` or ``crime:MONTH``."""
        return f"{self.group}:{self.period}"

    def accepted_by(self, names) -> str | None:
        """The first of ``names`` (``SURVEY:PERIOD``, ``SURVEY`` or ``all``, any case) that covers this fall."""
        for n in names:
            group, _, period = n.partition(":")
            if n.casefold() == ACCEPT_ALL or (group.casefold() == self.group.casefold()
                                              and period in ("", self.period)):
                return n
        return None

    def message(self, live_id: str, max_drop: float) -> str:
        what = KINDS[self.kind]
        return (f"{self.group} {self.period}: {self.new:,} {what}, {self.fraction:.1%} fewer than the "
                f"{self.live:,} in the live snapshot {live_id}, where {self.period} was complete (at most "
                f"{max_drop:.0%} fewer allowed, [inputs] max_count_drop): is a file cut short or missing? If the "
                f"fall is real, ingest again with --accept-drop {self.name} --reason TEXT")


def complete(live: dict) -> dict[tuple[str, str], list[str]]:
    """The live snapshot's complete periods per (kind, group): every one but its latest."""
    return {(kind, group): sorted(periods)[:-1] for kind, groups in live.items()
            for group, periods in groups.items() if periods}


def falls(live: dict, counts: pd.DataFrame, max_drop: float, fallback_files: dict[str, tuple[str, ...]]) -> list[Fall]:
    """Every count of ``counts`` more than ``max_drop`` below the live one in a complete period.

    ``fallback_files`` (kind -> files) names the files to blame when a period is missing from
    the new data altogether.
    """
    new = {(kind, group, period): (int(count), files)
           for kind, group, period, count, files in counts[COLUMNS].itertuples(index=False, name=None)}
    out = []
    for (kind, group), periods in complete(live).items():
        same_group = [files for (k, g, _), (_, files) in new.items() if (k, g) == (kind, group)]
        for period in periods:
            before = int(live[kind][group][period])
            now, files = new.get((kind, group, period),
                                 (0, tuple(dict.fromkeys(f for fs in same_group for f in fs))
                                  or fallback_files.get(kind, ())))
            if before > 0 and (before - now) / before > max_drop:
                out.append(Fall(kind, group, period, before, now, tuple(files)))
    return out
