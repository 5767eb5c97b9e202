"""Force configuration: one TOML file says everything that is force-specific.

The file is checked completely on load. Every problem is collected and reported with the
dotted key it concerns (``indicators[3].polarity``), so an analyst can fix a config file in
one pass. See ``docs/configuration.md`` for every key.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .stats.policy import StatisticsPolicy

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "data" / "forces" / "west-mercia.toml"

POLARITIES = ("higher", "lower", "nearer_zero")
INDICATOR_KINDS = ("proportion", "strand_score", "gap")
SURVEY_LEVELS = ("area", "division", "force")
# [statistics] key -> (StatisticsPolicy field, type): the significance policy and the settings of
# every test, each named once (defaults in dashboard.stats.policy.StatisticsPolicy).
POLICY_KEYS = {
    "confidence": ("confidence", float), "area_flag_rule": ("area_rule", str), "fdr_q": ("fdr_q", float),
    "control_limit": ("control_level", float), "trend_periods": ("trend_periods", int),
    "trend_min_periods": ("trend_min_periods", int), "trend_confidence": ("trend_confidence", float),
    "shrinkage_min_areas": ("shrinkage_min_areas", int),
}
INPUT_KEYS = ("areas", "boundaries", "boundary_code_column", "boundary_layer", "surveys", "aggregated", "crime",
              "msf", "matrix", "repair_invalid_geometry", "overlap_tolerance_m2", "max_count_drop")
FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
PERIOD_KINDS = ("financial_year", "calendar_year", "quarter", "month")
PERIOD_PATTERNS = {"financial_year": FINANCIAL_YEAR, "calendar_year": re.compile(r"^(\d{4})$"),
                   "quarter": re.compile(r"^(\d{4}) Q([1-4])$"), "month": re.compile(r"^(\d{4})-(\d{2})$")}
PERIOD_EXAMPLES = {"financial_year": "2007/08", "calendar_year": "2007", "quarter": "2007 Q1", "month": "2007-01"}


class ConfigError(ValueError):
    """The configuration file is invalid; ``problems`` lists every finding."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.path}: {len(problems)} problem(s) in the configuration:\n{lines}")


@dataclass(frozen=True)
class Division:
    code: str
    name: str


@dataclass(frozen=True)
class Period:
    """A reporting period (``2007/08``, ``2007``, ``2007 Q1``, ``2007-01``): ``start`` inclusive,
    ``end`` exclusive."""

    label: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Survey:
    code: str
    name: str
    level: str
    weighted: bool
    # The survey's *total* design effect as its producer publishes it (it already includes the
    # loss from weighting): the effective base is n / design_effect. None: Kish's (Σw)² / Σw².
    design_effect: float | None


@dataclass(frozen=True)
class AnswerScale:
    name: str
    codes: dict[int, str]
    missing: tuple[int, ...]


@dataclass(frozen=True)
class Question:
    column: str
    scale: str
    text: str


@dataclass(frozen=True)
class Target:
    value: float
    period: str


@dataclass(frozen=True)
class Indicator:
    id: str
    short_name: str
    name: str
    definition: str
    survey: str
    kind: str
    polarity: str
    unit: str
    question: str | None = None
    positive: tuple[int, ...] = ()
    strands: tuple[str, ...] = ()
    strand_scores: dict[int, int] = field(default_factory=dict)
    high_threshold: int | None = None
    of: str | None = None
    subgroup: str | None = None
    groups: tuple[str, ...] = ()
    target: Target | None = None
    monitored_only: bool = False
    assessed: bool = False  # part of the indicative HMIC outcome (SPIs and the KDI)


@dataclass(frozen=True)
class Inputs:
    areas: str
    boundaries: tuple[str, ...]
    boundary_code_column: str
    boundary_layer: str | None = None
    surveys: tuple[str, ...] = ()
    aggregated: tuple[str, ...] = ()
    crime: tuple[str, ...] = ()
    msf: str | None = None
    matrix: str | None = None
    repair_invalid_geometry: bool = False
    overlap_tolerance_m2: float = 1.0
    # Control totals: the largest fall of a count in a complete period, as a fraction of the live
    # snapshot's count (dashboard.data.control).
    max_count_drop: float = 0.10


@dataclass(frozen=True)
class MatrixIndicator:
    id: str
    side: str  # "crime" or "worry"
    weight: float
    crime_type: str | None = None  # crime side: a police.uk crime type
    indicator: str | None = None  # worry side: a catalogue indicator of the local survey
    direction: int = 1  # 1: more is worse; -1: more is better


@dataclass(frozen=True)
class ResourceLevel:
    crime: str  # "high", "nd" (not distinguishable) or "low"
    worry: str
    level: str
    rank: int
    colour: str
    engagement: str
    frequency: str


@dataclass(frozen=True)
class MatrixSettings:
    crime_window_months: int
    survey_window_periods: int
    cut: str  # "force_average" or "tertiles"
    confidence: float
    hold_periods: int
    baskets: dict[str, tuple[str, ...]]
    indicators: tuple[MatrixIndicator, ...]
    levels: tuple[ResourceLevel, ...]

    def level_for(self, crime: str, worry: str) -> ResourceLevel:
        for lv in self.levels:
            if lv.crime == crime and lv.worry == worry:
                return lv
        raise KeyError(f"no resource level for crime {crime!r} and worry {worry!r}")


def default_panel_threshold(suppression_threshold: int) -> int:
    """``[statistics] panel_suppression_threshold`` when the config leaves it out."""
    return max(suppression_threshold, 100)


@dataclass(frozen=True)
class Display:
    """What the pages show first; every field falls back to a rule in dashboard.views when unset."""

    map_indicator: str | None = None  # the map's first indicator
    headline: tuple[str, ...] = ()  # overview cards and pack page 1, in order
    equality: tuple[str, ...] = ()  # gap indicators on the equality page and in the pack


@dataclass(frozen=True)
class ForceConfig:
    path: Path
    force_code: str
    force_name: str
    force_short_name: str
    divisions: tuple[Division, ...]
    msf_peers: tuple[str, ...]
    periods: tuple[Period, ...]
    baseline_period: str
    suppression_threshold: int
    small_base_flag: int
    surveys: dict[str, Survey]
    answer_scales: dict[str, AnswerScale]
    questions: dict[str, Question]
    survey_columns: dict[str, tuple[str, ...]]
    subgroups: dict[str, tuple[str, ...]]
    indicators: tuple[Indicator, ...]
    inputs: Inputs
    matrix: MatrixSettings | None = None
    synthetic: bool = False
    text: str = ""
    # Age, sex, ethnicity and crime-type results for each area. With thousands of areas nearly
    # all would be suppressed, and they multiply the published tables: set false there.
    area_subgroups: bool = True
    policy: StatisticsPolicy = StatisticsPolicy()
    # The police authority panel's stricter threshold (dashboard/access.py): at or above
    # suppression_threshold; where it is higher, ingest publishes a second, panel variant of the
    # disclosure-controlled tables.
    panel_suppression_threshold: int = 100
    period_kind: str = "financial_year"
    # Published results pool this many consecutive periods ending at each period (4 quarters:
    # rolling 12 months); changes compare windows that do not overlap.
    rolling_periods: int = 1
    display: Display = Display()

    @property
    def panel_variant(self) -> bool:
        """Whether the panel sees tables of its own (its threshold is stricter than everyone's)."""
        return self.panel_suppression_threshold > self.suppression_threshold

    def for_panel(self) -> ForceConfig:
        """This configuration as the panel's tables are built and described: its threshold."""
        return replace(self, suppression_threshold=self.panel_suppression_threshold,
                       small_base_flag=max(self.small_base_flag, self.panel_suppression_threshold))

    @property
    def division_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.divisions)

    @property
    def period_labels(self) -> tuple[str, ...]:
        return tuple(p.label for p in self.periods)

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(f"unknown indicator {indicator_id!r}")

    def allowed_codes(self, column: str) -> dict[int, str]:
        return self.answer_scales[self.questions[column].scale].codes

    def missing_codes(self, column: str) -> tuple[int, ...]:
        return self.answer_scales[self.questions[column].scale].missing


def period_for_dates(dates, periods: tuple[Period, ...]):
    """Map a pandas Series of dates to period labels; dates outside every period give NA."""
    import pandas as pd

    out = pd.Series(pd.NA, index=dates.index, dtype="string")
    for p in periods:
        inside = (dates >= pd.Timestamp(p.start)) & (dates < pd.Timestamp(p.end))
        out = out.mask(inside, p.label)
    return out


class _Checker:
    """Walks the parsed TOML, collecting problems with the dotted key they concern."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def table(self, data: Any, key: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(data, dict):
            self.problems.append(f"{key}: expected a table, got {type(data).__name__}")
            return {}
        for k in sorted(set(data) - allowed):
            self.problems.append(f"{key}.{k}: unknown key (allowed: {', '.join(sorted(allowed))})")
        for k in sorted(required - set(data)):
            self.problems.append(f"{key}.{k}: required key is missing")
        return data

    def typed(self, data: dict, key: str, name: str, types: type | tuple, default: Any = None):
        if name not in data:
            return default
        value = data[name]
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.problems.append(f"{key}.{name}: expected {_type_name(types)}, got a boolean")
            return default
        if not isinstance(value, types):
            self.problems.append(f"{key}.{name}: expected {_type_name(types)}, got {value!r}")
            return default
        return value

    def str_list(self, data: dict, key: str, name: str, default=()) -> tuple[str, ...]:
        value = data.get(name, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{key}.{name}: expected a list of strings, got {value!r}")
            return tuple(default)
        return tuple(value)

    def int_list(self, data: dict, key: str, name: str) -> tuple[int, ...]:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            self.problems.append(f"{key}.{name}: expected a list of whole numbers, got {value!r}")
            return ()
        return tuple(value)

    def int_map(self, data: dict, key: str, name: str, value_type: type) -> dict[int, Any]:
        raw = data.get(name, {})
        out: dict[int, Any] = {}
        if not isinstance(raw, dict):
            self.problems.append(f"{key}.{name}: expected a table of code = value, got {raw!r}")
            return out
        for k, v in raw.items():
            if not re.fullmatch(r"-?\d+", k):
                self.problems.append(f"{key}.{name}.{k}: answer codes must be whole numbers")
                continue
            if not isinstance(v, value_type) or isinstance(v, bool):
                self.problems.append(f"{key}.{name}.{k}: expected {_type_name(value_type)}, got {v!r}")
                continue
            out[int(k)] = v
        return out


def _type_name(types) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    if isinstance(types, tuple):
        return " or ".join(names.get(t, t.__name__) for t in types)
    return names.get(types, types.__name__)


def _period(kind: str, label: str, start_month: int) -> Period | None:
    m = PERIOD_PATTERNS[kind].match(label)
    if not m:
        return None
    y = int(m.group(1))
    if kind == "financial_year":
        if (y + 1) % 100 != int(m.group(2)):
            return None
        return Period(label, dt.date(y, start_month, 1), dt.date(y + 1, start_month, 1))
    if kind == "calendar_year":
        return Period(label, dt.date(y, 1, 1), dt.date(y + 1, 1, 1))
    first = 3 * (int(m.group(2)) - 1) + 1 if kind == "quarter" else int(m.group(2))
    if not 1 <= first <= 12:
        return None
    months = 3 if kind == "quarter" else 1
    end_y, end_m = divmod(first - 1 + months, 12)
    return Period(label, dt.date(y, first, 1), dt.date(y + end_y, end_m + 1, 1))


def _periods(c: _Checker, kind: str, labels: tuple[str, ...], start_month: int) -> tuple[Period, ...]:
    periods = []
    for i, label in enumerate(labels):
        p = _period(kind, label, start_month) if kind in PERIOD_KINDS else None
        if p is None:
            c.problems.append(f"periods.labels[{i}]: {label!r} is not a {kind.replace('_', ' ')} "
                              f"like {PERIOD_EXAMPLES.get(kind, '2007/08')!r}")
            continue
        periods.append(p)
    for a, b in zip(periods, periods[1:]):
        if b.start != a.end:
            c.problems.append(f"periods.labels: {a.label} and {b.label} are not consecutive periods in order")
    return tuple(periods)


def _indicator(c: _Checker, raw: dict, key: str, surveys: set[str], questions: dict) -> Indicator | None:
    common = {"id", "short_name", "name", "definition", "survey", "kind", "polarity", "unit",
              "target", "monitored_only", "assessed"}
    per_kind = {
        "proportion": {"question", "positive"},
        "strand_score": {"strands", "strand_scores", "high_threshold"},
        "gap": {"of", "subgroup", "groups"},
    }
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in INDICATOR_KINDS:
        c.problems.append(f"{key}.kind: must be one of {', '.join(INDICATOR_KINDS)}, got {kind!r}")
        c.table(raw, key, common | set().union(*per_kind.values()), common - {"target", "monitored_only", "assessed"})
        return None
    c.table(raw, key, common | per_kind[kind], (common - {"target", "monitored_only", "assessed"}) | per_kind[kind])
    values = {name: c.typed(raw, key, name, str, "") for name in
              ("id", "short_name", "name", "definition", "survey", "polarity", "unit")}
    if values["survey"] and values["survey"] not in surveys:
        c.problems.append(f"{key}.survey: {values['survey']!r} is not a survey in [surveys]")
    if values["polarity"] and values["polarity"] not in POLARITIES:
        c.problems.append(f"{key}.polarity: must be one of {', '.join(POLARITIES)}, got {values['polarity']!r}")
    target = None
    if "target" in raw:
        t = c.table(raw["target"], f"{key}.target", {"value", "period"}, {"value", "period"})
        value = c.typed(t, f"{key}.target", "value", (int, float))
        period = c.typed(t, f"{key}.target", "period", str)
        if value is not None and period is not None:
            target = Target(float(value), period)
    extra: dict[str, Any] = {}
    if kind == "proportion":
        q = c.typed(raw, key, "question", str)
        if q is not None and q not in questions:
            c.problems.append(f"{key}.question: {q!r} is not a question in [questions]")
        extra = {"question": q, "positive": c.int_list(raw, key, "positive")}
        if not extra["positive"]:
            c.problems.append(f"{key}.positive: list at least one answer code that counts as positive")
    elif kind == "strand_score":
        strands = c.str_list(raw, key, "strands")
        for s in strands:
            if s not in questions:
                c.problems.append(f"{key}.strands: {s!r} is not a question in [questions]")
        extra = {"strands": strands, "strand_scores": c.int_map(raw, key, "strand_scores", int),
                 "high_threshold": c.typed(raw, key, "high_threshold", int)}
    else:
        extra = {"of": c.typed(raw, key, "of", str), "subgroup": c.typed(raw, key, "subgroup", str),
                 "groups": c.str_list(raw, key, "groups")}
        if len(extra["groups"]) != 2:
            c.problems.append(f"{key}.groups: a gap needs exactly two groups, got {list(extra['groups'])}")
    return Indicator(**values, kind=kind, target=target,
                     monitored_only=bool(c.typed(raw, key, "monitored_only", bool, False)),
                     assessed=bool(c.typed(raw, key, "assessed", bool, False)), **extra)


MATRIX_BANDS = ("high", "nd", "low")


def _matrix(c: _Checker, raw: dict, indicators: dict[str, Indicator]) -> MatrixSettings:
    from .data.policeuk import CRIME_TYPES  # the 14 police.uk types

    m = c.table(raw["matrix"], "matrix", {"crime_window_months", "survey_window_periods", "cut", "confidence",
                                          "hold_periods"}, {"crime_window_months", "survey_window_periods", "cut"})
    cut = c.typed(m, "matrix", "cut", str, "force_average")
    if cut not in ("force_average", "tertiles"):
        c.problems.append(f"matrix.cut: must be 'force_average' or 'tertiles', got {cut!r}")
    window = c.typed(m, "matrix", "crime_window_months", int, 12)
    survey_window = c.typed(m, "matrix", "survey_window_periods", int, 1)
    hold = c.typed(m, "matrix", "hold_periods", int, 1)
    for key, value in (("crime_window_months", window), ("survey_window_periods", survey_window),
                       ("hold_periods", hold)):
        if value < 1:
            c.problems.append(f"matrix.{key}: must be at least 1, got {value}")
    conf = c.typed(m, "matrix", "confidence", float, 0.95)
    baskets = {}
    for name, types in (raw.get("crime_baskets") or {}).items():
        types = c.str_list(raw["crime_baskets"], "crime_baskets", name)
        for t in types:
            if t not in CRIME_TYPES:
                c.problems.append(f"crime_baskets.{name}: {t!r} is not a police.uk crime type")
        baskets[name] = types
    mis = []
    for i, r in enumerate(raw.get("matrix_indicators") or []):
        key = f"matrix_indicators[{i}]"
        r = c.table(r, key, {"id", "side", "weight", "crime_type", "indicator", "direction"}, {"id", "side", "weight"})
        side = c.typed(r, key, "side", str, "")
        if side not in ("crime", "worry"):
            c.problems.append(f"{key}.side: must be 'crime' or 'worry', got {side!r}")
        ct, ind = c.typed(r, key, "crime_type", str), c.typed(r, key, "indicator", str)
        if side == "crime" and ct not in CRIME_TYPES:
            c.problems.append(f"{key}.crime_type: {ct!r} is not a police.uk crime type")
        if side == "worry" and (ind not in indicators or indicators[ind].kind == "gap"):
            c.problems.append(f"{key}.indicator: {ind!r} is not a scored indicator in [[indicators]]")
        weight = c.typed(r, key, "weight", (int, float), 1.0)
        if weight <= 0:
            c.problems.append(f"{key}.weight: must be positive, got {weight}")
        direction = c.typed(r, key, "direction", int, 1)
        if direction not in (1, -1):
            c.problems.append(f"{key}.direction: must be 1 or -1, got {direction}")
        mis.append(MatrixIndicator(c.typed(r, key, "id", str, ""), side, float(weight), ct, ind, direction))
    for side in ("crime", "worry"):
        if not any(mi.side == side for mi in mis):
            c.problems.append(f"matrix_indicators: list at least one {side} indicator")
    levels = []
    for i, r in enumerate(raw.get("resource_levels") or []):
        key = f"resource_levels[{i}]"
        fields = {"crime", "worry", "level", "rank", "colour", "engagement", "frequency"}
        r = c.table(r, key, fields, fields)
        vals = {f: c.typed(r, key, f, int if f == "rank" else str, 0 if f == "rank" else "") for f in fields}
        for axis in ("crime", "worry"):
            if vals[axis] not in MATRIX_BANDS:
                c.problems.append(f"{key}.{axis}: must be one of high, nd, low, got {vals[axis]!r}")
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", vals["colour"]):
            c.problems.append(f"{key}.colour: must be a colour like '#CC3311', got {vals['colour']!r}")
        levels.append(ResourceLevel(**vals))
    combos = {(lv.crime, lv.worry) for lv in levels}
    for cb in MATRIX_BANDS:
        for wb in MATRIX_BANDS:
            if (cb, wb) not in combos:
                c.problems.append(f"resource_levels: no level for crime {cb!r} and worry {wb!r}")
    return MatrixSettings(window, survey_window, cut, conf, hold, baskets, tuple(mis), tuple(levels))


def load_config(path: Path | str | None = None) -> ForceConfig:
    """Read and check a force configuration file; raise ConfigError listing every problem."""
    path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"not UTF-8 text (byte {exc.start})"]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"not valid TOML: {exc}"]) from None
    return parse_config(raw, path, text)



def _policy(c, st: dict) -> StatisticsPolicy:
    """The [statistics] significance policy; every problem reported against its key."""
    values = {}
    for key, (name, kind) in POLICY_KEYS.items():
        value = c.typed(st, "statistics", key, (int, float) if kind is float else kind, None)
        if value is not None:
            values[name] = kind(value)
    try:
        policy = StatisticsPolicy(**values)
    except ValueError as e:
        c.problems.append(f"statistics: {e}")
        return StatisticsPolicy()
    if policy.confidence != 0.95:
        # The published interval columns are named for their level (lower_95, upper_95).
        c.problems.append(f"statistics.confidence: only 0.95 is supported in this version, got {policy.confidence}")
    return policy

def parse_config(raw: dict, path: Path, text: str = "") -> ForceConfig:
    c = _Checker()
    matrix_keys = {"matrix", "crime_baskets", "matrix_indicators", "resource_levels"}
    top = {"force", "divisions", "msf", "periods", "statistics", "surveys", "answer_scales",
           "questions", "survey_columns", "subgroups", "indicators", "inputs", "dataset", "display"} | matrix_keys
    c.table(raw, "<top level>", top, top - {"msf", "dataset", "display"} - matrix_keys)
    # Messages for top-level keys read better without the placeholder prefix.
    c.problems = [p.replace("<top level>.", "") for p in c.problems]

    force = c.table(raw.get("force", {}), "force", {"code", "name", "short_name"}, {"code", "name"})
    force_code = c.typed(force, "force", "code", str, "")
    force_name = c.typed(force, "force", "name", str, "")
    short_name = c.typed(force, "force", "short_name", str, force_name)

    divisions = []
    raw_divisions = raw.get("divisions", [])
    if not isinstance(raw_divisions, list) or not raw_divisions:
        c.problems.append("divisions: list at least one [[divisions]] with code and name")
        raw_divisions = []
    for i, d in enumerate(raw_divisions):
        key = f"divisions[{i}]"
        d = c.table(d, key, {"code", "name"}, {"code", "name"})
        code, name = c.typed(d, key, "code", str), c.typed(d, key, "name", str)
        if code and name:
            divisions.append(Division(code, name))
    codes = [d.code for d in divisions]
    for dup in sorted({x for x in codes if codes.count(x) > 1}):
        c.problems.append(f"divisions: code {dup!r} is used more than once")

    msf = c.table(raw.get("msf", {}), "msf", {"peers"}, set())
    peers = c.str_list(msf, "msf", "peers")

    per = c.table(raw.get("periods", {}), "periods", {"kind", "start_month", "labels", "baseline", "rolling"},
                  {"labels"})
    period_kind = c.typed(per, "periods", "kind", str, "financial_year")
    if period_kind not in PERIOD_KINDS:
        c.problems.append(f"periods.kind: must be one of {', '.join(PERIOD_KINDS)}, got {period_kind!r}")
    start_month = c.typed(per, "periods", "start_month", int, 4)
    if not 1 <= start_month <= 12:
        c.problems.append(f"periods.start_month: must be 1 to 12, got {start_month}")
        start_month = 4
    periods = _periods(c, period_kind, c.str_list(per, "periods", "labels"), start_month)
    labels = [p.label for p in periods]
    baseline = c.typed(per, "periods", "baseline", str, labels[0] if labels else "")
    if labels and baseline not in labels:
        c.problems.append(f"periods.baseline: {baseline!r} is not one of periods.labels")
    rolling = c.typed(per, "periods", "rolling", int, 1)
    if rolling < 1:
        c.problems.append(f"periods.rolling: must be at least 1, got {rolling}")

    st = c.table(raw.get("statistics", {}), "statistics",
                 {"suppression_threshold", "small_base_flag", "area_subgroups", "panel_suppression_threshold",
                  *POLICY_KEYS},
                 {"suppression_threshold"})
    threshold = c.typed(st, "statistics", "suppression_threshold", int, 50)
    small = c.typed(st, "statistics", "small_base_flag", int, max(threshold, 100))
    area_subgroups = bool(c.typed(st, "statistics", "area_subgroups", bool, True))
    if threshold < 1:
        c.problems.append(f"statistics.suppression_threshold: must be at least 1, got {threshold}")
    panel_threshold = c.typed(st, "statistics", "panel_suppression_threshold", int, default_panel_threshold(threshold))
    if panel_threshold < threshold:
        c.problems.append(f"statistics.panel_suppression_threshold: must be at least suppression_threshold "
                          f"({threshold}), got {panel_threshold}")
    policy = _policy(c, st)

    surveys: dict[str, Survey] = {}
    raw_surveys = raw.get("surveys", {})
    if not isinstance(raw_surveys, dict):
        c.problems.append("surveys: expected a table of [surveys.CODE] tables")
        raw_surveys = {}
    for code, s in raw_surveys.items():
        key = f"surveys.{code}"
        s = c.table(s, key, {"name", "level", "weighted", "design_effect"}, {"name", "level", "weighted"})
        level = c.typed(s, key, "level", str, "area")
        if level not in SURVEY_LEVELS:
            c.problems.append(f"{key}.level: must be one of {', '.join(SURVEY_LEVELS)}, got {level!r}")
        deff = c.typed(s, key, "design_effect", (int, float), None)
        if deff is not None and deff < 1:
            c.problems.append(f"{key}.design_effect: must be 1 or more, got {deff}")
        surveys[code] = Survey(code, c.typed(s, key, "name", str, code), level,
                               bool(c.typed(s, key, "weighted", bool, False)),
                               None if deff is None else float(deff))

    scales: dict[str, AnswerScale] = {}
    for name, s in (raw.get("answer_scales") or {}).items():
        key = f"answer_scales.{name}"
        s = c.table(s, key, {"codes", "missing"}, {"codes"})
        codes_map = c.int_map(s, key, "codes", str)
        missing = c.int_list(s, key, "missing")
        for m in missing:
            if m not in codes_map:
                c.problems.append(f"{key}.missing: code {m} is not one of the scale's codes")
        scales[name] = AnswerScale(name, codes_map, missing)

    questions: dict[str, Question] = {}
    for col, q in (raw.get("questions") or {}).items():
        key = f"questions.{col}"
        q = c.table(q, key, {"scale", "text"}, {"scale", "text"})
        scale = c.typed(q, key, "scale", str, "")
        if scale not in scales:
            c.problems.append(f"{key}.scale: {scale!r} is not one of [answer_scales]")
        questions[col] = Question(col, scale, c.typed(q, key, "text", str, ""))

    survey_columns: dict[str, tuple[str, ...]] = {}
    sc = c.table(raw.get("survey_columns", {}), "survey_columns", set(surveys), set())
    for code in sc:
        cols = c.str_list(sc, "survey_columns", code)
        for col in cols:
            if col != "crime_type" and col not in questions:
                c.problems.append(f"survey_columns.{code}: {col!r} is not a question in [questions]")
        survey_columns[code] = cols

    subgroups: dict[str, tuple[str, ...]] = {}
    sg = c.table(raw.get("subgroups", {}), "subgroups", {"age_band", "sex", "ethnicity", "crime_type"},
                 {"age_band", "sex", "ethnicity"})
    for name in sg:
        subgroups[name] = c.str_list(sg, "subgroups", name)

    indicators: list[Indicator] = []
    raw_ind = raw.get("indicators", [])
    if not isinstance(raw_ind, list) or not raw_ind:
        c.problems.append("indicators: list at least one [[indicators]]")
        raw_ind = []
    for i, r in enumerate(raw_ind):
        ind = _indicator(c, r, f"indicators[{i}]", set(surveys), questions)
        if ind is not None:
            indicators.append(ind)
    ids = [i.id for i in indicators]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        c.problems.append(f"indicators: id {dup!r} is used more than once")
    for i, ind in enumerate(indicators):
        if ind.target and labels and ind.target.period not in labels:
            c.problems.append(f"indicators[{i}].target.period: {ind.target.period!r} is not one of periods.labels")
        if ind.kind == "gap":
            if ind.of not in ids:
                c.problems.append(f"indicators[{i}].of: {ind.of!r} is not an indicator id")
            if ind.subgroup not in subgroups:
                c.problems.append(f"indicators[{i}].subgroup: {ind.subgroup!r} is not one of [subgroups]")
            else:
                for g in ind.groups:
                    if g not in subgroups[ind.subgroup]:
                        c.problems.append(f"indicators[{i}].groups: {g!r} is not in subgroups.{ind.subgroup}")
        if ind.kind == "proportion" and ind.question in questions and ind.question in questions:
            scale = scales.get(questions[ind.question].scale)
            if scale:
                for code in ind.positive:
                    if code not in scale.codes or code in scale.missing:
                        c.problems.append(f"indicators[{i}].positive: code {code} is not a valid answer to {ind.question}")

    inp = c.table(raw.get("inputs", {}), "inputs", set(INPUT_KEYS), {"areas", "boundaries", "boundary_code_column"})
    max_drop = float(c.typed(inp, "inputs", "max_count_drop", (int, float), 0.10))
    if not 0 <= max_drop <= 1:
        c.problems.append(f"inputs.max_count_drop: must be a fraction from 0 to 1, got {max_drop:g}")
    inputs = Inputs(
        areas=c.typed(inp, "inputs", "areas", str, ""),
        boundaries=c.str_list(inp, "inputs", "boundaries"),
        boundary_code_column=c.typed(inp, "inputs", "boundary_code_column", str, ""),
        boundary_layer=c.typed(inp, "inputs", "boundary_layer", str),
        surveys=c.str_list(inp, "inputs", "surveys"),
        aggregated=c.str_list(inp, "inputs", "aggregated"),
        crime=c.str_list(inp, "inputs", "crime"),
        msf=c.typed(inp, "inputs", "msf", str),
        matrix=c.typed(inp, "inputs", "matrix", str),
        repair_invalid_geometry=bool(c.typed(inp, "inputs", "repair_invalid_geometry", bool, False)),
        overlap_tolerance_m2=float(c.typed(inp, "inputs", "overlap_tolerance_m2", (int, float), 1.0)),
        max_count_drop=max_drop,
    )

    matrix = _matrix(c, raw, {i.id: i for i in indicators}) if "matrix" in raw else None

    disp = c.table(raw.get("display", {}), "display", {"map_indicator", "headline", "equality"}, set())
    display = Display(c.typed(disp, "display", "map_indicator", str), c.str_list(disp, "display", "headline"),
                      c.str_list(disp, "display", "equality"))
    by_id = {i.id: i for i in indicators}
    if display.map_indicator is not None and display.map_indicator not in by_id:
        c.problems.append(f"display.map_indicator: {display.map_indicator!r} is not an indicator id")
    for name in ("headline", "equality"):
        for v in getattr(display, name):
            if v not in by_id:
                c.problems.append(f"display.{name}: {v!r} is not an indicator id")
            elif name == "equality" and by_id[v].kind != "gap":
                c.problems.append(f"display.equality: {v!r} is not a gap indicator")

    ds = c.table(raw.get("dataset", {}), "dataset", {"synthetic", "description"}, set())
    synthetic = bool(c.typed(ds, "dataset", "synthetic", bool, False))

    if c.problems:
        raise ConfigError(path, c.problems)
    return ForceConfig(
        path=Path(path), force_code=force_code, force_name=force_name, force_short_name=short_name,
        divisions=tuple(divisions), msf_peers=peers, periods=periods, baseline_period=baseline,
        suppression_threshold=threshold, small_base_flag=small, policy=policy,
        panel_suppression_threshold=panel_threshold, area_subgroups=area_subgroups,
        surveys=surveys, answer_scales=scales, questions=questions, survey_columns=survey_columns,
        subgroups=subgroups, indicators=tuple(indicators), inputs=inputs, matrix=matrix, synthetic=synthetic,
        text=text, period_kind=period_kind, rolling_periods=rolling, display=display,
    )
