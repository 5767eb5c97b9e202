"""Force configuration: one TOML file says everything that is force-specific.

The schema is declared once, here, as pydantic models: every key with its type, default and a
``description`` from which ``dashboard docs`` writes the key tables of ``docs/configuration.md``.
Unknown keys are errors (``extra="forbid"``). The file is checked completely on load and every
problem is reported at once with the dotted key it concerns (``indicators[3].polarity: Input
should be 'higher', 'lower' or 'nearer_zero', got 'down'``), so an analyst can fix a config file
in one pass.

Checks across sections (an indicator's survey, question and answer codes; a gap's subgroup; a
target's period; the display's and the matrix's indicator ids) are validators of the item that
holds the reference. The sections an item refers to are validated first (the field order of
:class:`ForceConfig`) and recorded in the validation context, so a reference is checked even
when some other part of the file is wrong, and is not checked against a section that is itself
invalid (that section's own errors are reported instead).

The models are the objects the code uses: ``config.indicators[0].polarity``,
``config.surveys["X"].design_effect``; sections the code reads under other names are properties
(``config.force_code``, ``config.periods``, ``config.policy``, ``config.matrix``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .stats.policy import RULES, StatisticsPolicy

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "data" / "forces" / "west-mercia.toml"

Polarity = Literal["higher", "lower", "nearer_zero"]
IndicatorKind = Literal["proportion", "strand_score", "gap"]
SurveyLevel = Literal["area", "division", "force"]
PeriodKind = Literal["financial_year", "calendar_year", "quarter", "month"]
Band = Literal["high", "nd", "low"]
POLARITIES: tuple[str, ...] = get_args(Polarity)
INDICATOR_KINDS: tuple[str, ...] = get_args(IndicatorKind)
SURVEY_LEVELS: tuple[str, ...] = get_args(SurveyLevel)
PERIOD_KINDS: tuple[str, ...] = get_args(PeriodKind)
MATRIX_BANDS: tuple[str, ...] = get_args(Band)

FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
PERIOD_PATTERNS = {"financial_year": FINANCIAL_YEAR, "calendar_year": re.compile(r"^(\d{4})$"),
                   "quarter": re.compile(r"^(\d{4}) Q([1-4])$"), "month": re.compile(r"^(\d{4})-(\d{2})$")}
PERIOD_EXAMPLES = {"financial_year": "2030/31", "calendar_year": "2030", "quarter": "2030 Q1", "month": "2030-01"}
# The fields each kind of indicator takes beyond the common ones (all of them required).
KIND_FIELDS = {"proportion": ("question", "positive"), "strand_score": ("strands", "strand_scores", "high_threshold"),
               "gap": ("of", "subgroup", "groups")}
# A column of [survey_columns] that is not a question: the victim's crime type (a subgroup).
CRIME_TYPE_COLUMN = "crime_type"

# TOML has real types: a number written as text is an error, not silently converted.
Text = Annotated[str, Strict()]
Int = Annotated[int, Strict()]
Flag = Annotated[bool, Strict()]
Number = Annotated[float, Strict()]  # a whole number is a number too
_POLICY = StatisticsPolicy()  # the defaults of the significance policy, declared there once


def _one_or_many(value: Any) -> Any:
    """A single glob is a list of one."""
    return [value] if isinstance(value, str) else value


Globs = Annotated[tuple[Text, ...], BeforeValidator(_one_or_many)]


class ConfigError(ValueError):
    """The configuration file is invalid; ``problems`` lists every finding."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.path}: {len(problems)} problem(s) in the configuration:\n{lines}")


def _error(loc: tuple, message: str, value: Any = None) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("config", "{message}", {"message": message}), loc=loc,
                            input=value)


def _raise(title: str, errors: list[InitErrorDetails]) -> None:
    """Report several problems of one item at once, each at its own key (nested under the item)."""
    if errors:
        raise ValidationError.from_exception_data(title, errors)


def _known(info: ValidationInfo, name: str):
    """A section validated earlier (None when it is invalid, absent or validation has no context)."""
    return (info.context or {}).get(name)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- force, divisions, most similar forces ---------------------------------------------------

class ForceSection(_Model):
    code: Text = Field(description="the force's code; also its geography code in the published tables")
    name: Text = Field(description="the force's full name, as in titles and in `msf.csv`")
    short_name: Text | None = Field(None, description="a short name for tight spaces (default: `name`)")


class Division(_Model):
    code: Text = Field(description="the division's (BCU's) code, as in the areas file; unique")
    name: Text = Field(description="its name")


class MsfSection(_Model):
    peers: tuple[Text, ...] = Field((), description="the most similar forces, named as in `msf.csv`")


# --- periods ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A reporting period (``2030/31``, ``2030``, ``2030 Q1``, ``2030-01``): ``start`` inclusive,
    ``end`` exclusive."""

    label: str
    start: dt.date
    end: dt.date


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


class PeriodsSection(_Model):
    kind: PeriodKind = Field("financial_year", description=(
        "what a period is: `financial_year` (`2030/31`, starting in `start_month`), `calendar_year` (`2030`), "
        "`quarter` (`2030 Q1` = January to March) or `month` (`2030-01`); fieldwork dates and crime months "
        "map to the period that contains them"))
    start_month: Int = Field(4, ge=1, le=12, description="the month a financial year starts in (4 = April)")
    labels: tuple[Text, ...] = Field(min_length=1, description=(
        "every period the dashboard reports, consecutive and in order, written as `kind` says"))
    baseline: Text | None = Field(None, description=(
        "the period changes are compared with (default: the first whose window is full: the first, or the "
        "`rolling`-th)"))
    rolling: Int = Field(1, ge=1, description=(
        "published results pool this many consecutive periods ending at each period (4 quarters: rolling "
        "12 months); changes compare windows that do not overlap"))
    _periods: tuple[Period, ...] = PrivateAttr(())

    def period(self, label: str) -> Period | None:
        """The period a label names, or None if it is not a label of this kind."""
        return _period(self.kind, label, self.start_month)

    @model_validator(mode="after")
    def _labels(self, info: ValidationInfo) -> PeriodsSection:
        errors, periods = [], []
        for i, label in enumerate(self.labels):
            p = self.period(label)
            if p is None:
                errors.append(_error(("labels", i), f"{label!r} is not a {self.kind.replace('_', ' ')} like "
                                                    f"{PERIOD_EXAMPLES[self.kind]!r}", label))
            else:
                periods.append(p)
        for a, b in pairwise(periods) if len(periods) == len(self.labels) else ():
            if b.start != a.end:
                errors.append(_error(("labels",), f"{a.label} and {b.label} are not consecutive periods in order"))
        if self.baseline is not None and self.baseline not in self.labels:
            errors.append(_error(("baseline",), f"{self.baseline!r} is not one of periods.labels", self.baseline))
        elif self.baseline is not None and self.labels.index(self.baseline) < self.rolling - 1:
            errors.append(_error(("baseline",), f"{self.baseline!r} has no full window of {self.rolling} periods "
                                                f"(rolling = {self.rolling}): use label number {self.rolling} or a "
                                                "later one", self.baseline))
        if self.rolling > len(self.labels):
            errors.append(_error(("rolling",), f"a window of {self.rolling} periods is longer than the "
                                               f"{len(self.labels)} labels", self.rolling))
        _raise("periods", errors)
        self._periods = tuple(periods)
        if info.context is not None:
            info.context["period_labels"] = set(self.labels)
        return self


# --- statistics ------------------------------------------------------------------------------

GEOGRAPHY_LEVELS = ("force", "division", "area")
GeographyLevel = Literal[GEOGRAPHY_LEVELS]
# The small-base flag's default per level (`[statistics] small_base_flag`): see its description.
SMALL_BASE_DEFAULT = {"force": 100, "division": 100, "area": 65}


def default_panel_threshold(suppression_threshold: int) -> int:
    """``[statistics] panel_suppression_threshold`` when the config leaves it out."""
    return max(suppression_threshold, 100)


# [statistics] key -> StatisticsPolicy field: the significance policy, each setting named once.
POLICY_KEYS = {"confidence": "confidence", "area_flag_rule": "area_rule", "fdr_q": "fdr_q",
               "control_limit": "control_level", "trend_periods": "trend_periods",
               "trend_min_periods": "trend_min_periods", "trend_confidence": "trend_confidence",
               "shrinkage_min_areas": "shrinkage_min_areas"}


class StatisticsSection(_Model):
    suppression_threshold: Int = Field(ge=1, description=(
        "estimates on fewer unweighted respondents than this are withheld everywhere"))
    small_base_flag: Int | dict[GeographyLevel, Int] | None = Field(None, description=(
        "bases below this (and at or above the threshold) carry the small-base flag †: one number for every "
        "level, or a table per level (`{force = 100, division = 100, area = 65}`; a level left out takes its "
        "default). Default: 100 for the force and divisions, 65 for areas: below 65 respondents the "
        f"{_POLICY.confidence:.0%} interval of a 50% estimate is wider than ±12 points (±10 at 100), so a "
        "local survey's usual 80 or so per area is not flagged and the areas that are flagged are the "
        "thinnest; each value at least `suppression_threshold` (docs/methods.md)"))
    panel_suppression_threshold: Int | None = Field(None, ge=1, description=(
        "the stricter threshold for the `panel` role (default: the larger of 100 and `suppression_threshold`; "
        "at least `suppression_threshold`): where it is higher, ingest publishes a second disclosure-controlled "
        "set of tables, with the same secondary suppression, that is all the panel's requests ever read "
        "(`DASHBOARD_AUTH`, below)"))
    area_subgroups: Flag = Field(True, description=(
        "compute age, sex, ethnicity and crime-type results for each area as well as for divisions and the "
        "force; set false for thousands of areas, where nearly all would be suppressed and they multiply the "
        "published tables"))
    confidence: Number = Field(_POLICY.confidence, description=(
        "level of every interval and of every force and division test (only 0.95 in this version, because "
        "the published interval columns are named for it)"))
    area_flag_rule: Literal[RULES] = Field(_POLICY.area_rule, description=(
        "the significance policy for areas: `fdr` colours an area only where its difference from the force "
        "holds after Benjamini-Hochberg control of false discoveries within one indicator × period "
        "(× comparison, for changes) over the force's areas; `control_limit` where it lies outside funnel "
        "limits at `control_limit`; `overdispersed` the same limits widened for real variation between areas "
        "(docs/methods.md)"))
    fdr_q: Number = Field(_POLICY.fdr_q, description="false discovery rate for `fdr`")
    control_limit: Number = Field(_POLICY.control_level, description=(
        "level of the control limits for `control_limit` and `overdispersed`, and of area changes under them"))
    trend_periods: Int = Field(_POLICY.trend_periods, description="recent-trend test: the last N periods")
    trend_min_periods: Int = Field(_POLICY.trend_min_periods, description=(
        "recent-trend test: at least this many of them (2 to `trend_periods`)"))
    trend_confidence: Number = Field(_POLICY.trend_confidence, description="recent-trend test: its level")
    shrinkage_min_areas: Int = Field(_POLICY.shrinkage_min_areas, description=(
        "a division needs at least this many areas for shrunken (empirical-Bayes) area estimates"))
    _policy: StatisticsPolicy = PrivateAttr(_POLICY)

    @model_validator(mode="after")
    def _consistent(self) -> StatisticsSection:
        errors = []
        if self.panel_suppression_threshold is not None and \
                self.panel_suppression_threshold < self.suppression_threshold:
            errors.append(_error(("panel_suppression_threshold",), f"must be at least suppression_threshold "
                                 f"({self.suppression_threshold}), got {self.panel_suppression_threshold}",
                                 self.panel_suppression_threshold))
        flags = self.small_base_flag if isinstance(self.small_base_flag, dict) else \
            {} if self.small_base_flag is None else {"": self.small_base_flag}
        for level, value in flags.items():
            if value < self.suppression_threshold:
                errors.append(_error(("small_base_flag",) + ((level,) if level else ()),
                                     f"must be at least suppression_threshold ({self.suppression_threshold}), "
                                     f"got {value}", value))
        key_of = {name: key for key, name in POLICY_KEYS.items()}
        try:
            self._policy = StatisticsPolicy(**{name: getattr(self, key) for key, name in POLICY_KEYS.items()})
        except ValueError as exc:  # StatisticsPolicy names each setting it rejects
            for problem in str(exc).split("; "):
                name = problem.split(" ", 1)[0]
                key = key_of.get(name, name)
                errors.append(_error((key,), problem.removeprefix(f"{name} "), getattr(self, key, None)))
        if self.confidence != 0.95:
            # The published interval columns are named for their level (lower_95, upper_95).
            errors.append(_error(("confidence",), f"only 0.95 is supported in this version, got {self.confidence}",
                                 self.confidence))
        _raise("statistics", errors)
        return self

    @property
    def small_base(self) -> dict[str, int]:
        """Level -> the base below which an estimate carries the small-base flag."""
        if isinstance(self.small_base_flag, int):
            return dict.fromkeys(GEOGRAPHY_LEVELS, self.small_base_flag)
        given = self.small_base_flag or {}
        return {level: given.get(level, max(self.suppression_threshold, SMALL_BASE_DEFAULT[level]))
                for level in GEOGRAPHY_LEVELS}

    @property
    def panel_threshold(self) -> int:
        return (self.panel_suppression_threshold if self.panel_suppression_threshold is not None
                else default_panel_threshold(self.suppression_threshold))


# --- surveys, answer scales, questions, subgroups --------------------------------------------

class Survey(_Model):
    name: Text = Field(description="the survey's name, as shown")
    level: SurveyLevel = Field(description=(
        "the finest geography it supports: `area`, `division` or `force` (a force-level survey's respondents "
        "may have no area)"))
    weighted: Flag = Field(description=(
        "false: every respondent counts once; the `weight` column may be left out and, where given, must be 1 "
        "(the disclosure audit then treats its counts as whole numbers). true: the weights are used and the "
        "effective base follows `design_effect`"))
    design_effect: Number | None = Field(None, ge=1, description=(
        "the survey's *total* design effect as its producer publishes it (weighting included): the effective "
        "base is then n / design_effect. Without it the Kish effective base (Σw)² / Σw² from the weights is used. "
        "Never both"))
    _code: str = PrivateAttr("")

    @property
    def code(self) -> str:
        """The key of its ``[surveys.CODE]`` table."""
        return self._code


class AnswerScale(_Model):
    codes: dict[int, Text] = Field(min_length=1, description=(
        "answer code = label, e.g. `{ 1 = \"Very worried\", 8 = \"Don't know\" }`; codes not listed are rejected "
        "on ingest"))
    missing: tuple[Int, ...] = Field((), description=(
        "codes (don't know, refused, not asked) that are legal answers but left out of every base"))
    _name: str = PrivateAttr("")

    @property
    def name(self) -> str:
        return self._name

    @model_validator(mode="after")
    def _missing_codes(self) -> AnswerScale:
        _raise("answer_scales", [_error(("missing",), f"code {m} is not one of the scale's codes", m)
                                 for m in self.missing if m not in self.codes])
        return self


class Question(_Model):
    scale: Text = Field(description="its answer scale, a key of `[answer_scales]`")
    text: Text = Field(description="the question's wording, shown beside results and in the data formats")
    _column: str = PrivateAttr("")

    @property
    def column(self) -> str:
        """The survey files' column holding the answers (the key in ``[questions]``)."""
        return self._column


class Subgroups(_Model):
    age_band: tuple[Text, ...] = Field(description="allowed age bands, in order, e.g. `16-24`")
    sex: tuple[Text, ...] = Field(description="allowed sexes")
    ethnicity: tuple[Text, ...] = Field(description="allowed ethnic groups")
    crime_type: tuple[Text, ...] | None = Field(None, description=(
        "allowed crime types of a victim survey's incident (its `crime_type` column)"))


# --- indicators ------------------------------------------------------------------------------

class Target(_Model):
    value: Number = Field(description="the target percentage")
    period: Text = Field(description="the period it is for, one of `periods.labels`")


class Indicator(_Model):
    id: Text = Field(description="identifier, unique; used in the input tables and the published ones")
    short_name: Text = Field(description="label for tight spaces")
    name: Text = Field(description="label")
    definition: Text = Field(description="the plain-English definition shown beside every number")
    survey: Text = Field(description="source survey, a key of `[surveys]`")
    kind: IndicatorKind = Field(description=(
        "`proportion` (share answering one of `positive` to `question`; in %), `strand_score` (share whose "
        "summed `strand_scores` over `strands` reach `high_threshold`, as SPI 10b; in %), or `gap` (difference "
        "between two `groups` of `subgroup` of indicator `of`, as SPI 3b; in percentage points)"))
    polarity: Polarity = Field(description="which way is better: `higher`, `lower` or `nearer_zero`")
    target: Target | None = Field(None, description="`{ value = 84.0, period = \"2030/31\" }`; absent when none is set")
    monitored_only: Flag = Field(False, description="watched without a target (perceived ASB, drugs)")
    assessed: Flag = Field(False, description=(
        "part of the indicative HMIC outcome (the SPIs and the KDI)"))
    question: Text | None = Field(None, description="the question column, a key of `[questions]`")
    positive: tuple[Int, ...] = Field((), description=(
        "the answer codes that count as positive (not missing codes)"))
    strands: tuple[Text, ...] = Field((), description="the question columns scored")
    strand_scores: dict[int, Int] = Field({}, description="answer code = score")
    high_threshold: Int | None = Field(None, description="a total at least this is high")
    of: Text | None = Field(None, description="the indicator whose subgroups are compared")
    subgroup: Text | None = Field(None, description="the subgroup dimension, a key of `[subgroups]`")
    groups: tuple[Text, ...] = Field((), description="the two groups, first minus second")

    @model_validator(mode="after")
    def _kind_and_references(self, info: ValidationInfo) -> Indicator:
        known = info.context or {}  # the sections validated before [[indicators]]
        errors = self._kind_keys() + self._common_references(known)
        if all(name in self.model_fields_set for name in KIND_FIELDS[self.kind]):
            errors += {"proportion": self._proportion_references, "strand_score": self._strand_references,
                       "gap": self._gap_references}[self.kind](known)
        _raise("indicator", errors)
        return self

    def _kind_keys(self) -> list[InitErrorDetails]:
        """Each kind's keys are required for it and refused for the other kinds."""
        errors = []
        for kind, names in KIND_FIELDS.items():
            for name in names:
                if kind != self.kind and name in self.model_fields_set:
                    errors.append(_error((name,), f"not a key of a {self.kind} indicator (only of {kind})"))
                elif kind == self.kind and name not in self.model_fields_set:
                    errors.append(_error((name,), f"required key is missing (for kind = {kind!r})"))
        return errors

    def _common_references(self, known: dict) -> list[InitErrorDetails]:
        errors = []
        surveys, labels, ids = known.get("surveys"), known.get("period_labels"), known.get("indicator_ids")
        if ids is not None and ids.count(self.id) > 1:
            errors.append(_error(("id",), f"{self.id!r} is the id of more than one indicator", self.id))
        if surveys is not None and self.survey not in surveys:
            errors.append(_error(("survey",), f"{self.survey!r} is not a survey in [surveys]", self.survey))
        if self.target is not None and labels is not None and self.target.period not in labels:
            errors.append(_error(("target", "period"), f"{self.target.period!r} is not one of periods.labels",
                                 self.target.period))
        return errors

    def _columns(self, known: dict) -> tuple[str, ...] | None:
        """The columns the survey's respondent-level files carry (None: not listed, as for a survey
        given only as aggregated tables, whose indicators are not scored from respondents)."""
        return (known.get("survey_columns") or {}).get(self.survey)

    def _proportion_references(self, known: dict) -> list[InitErrorDetails]:
        questions, scales, columns = known.get("questions"), known.get("answer_scales"), self._columns(known)
        errors = []
        if not self.positive:
            errors.append(_error(("positive",), "list at least one answer code that counts as positive"))
        if questions is not None and self.question not in questions:
            errors.append(_error(("question",), f"{self.question!r} is not a question in [questions]", self.question))
        elif columns is not None and self.question not in columns:
            errors.append(_error(("question",), f"{self.question!r} is not one of survey_columns.{self.survey}",
                                 self.question))
        elif questions is not None and scales is not None and questions[self.question].scale in scales:
            scale = scales[questions[self.question].scale]
            errors += [_error(("positive",), f"code {code} is not a valid answer to {self.question}", code)
                       for code in self.positive if code not in scale.codes or code in scale.missing]
        return errors

    def _strand_references(self, known: dict) -> list[InitErrorDetails]:
        questions, columns = known.get("questions"), self._columns(known)
        if questions is None:
            return []
        errors = [_error(("strands",), f"{s!r} is not a question in [questions]", s)
                  for s in self.strands if s not in questions]
        return errors + [_error(("strands",), f"{s!r} is not one of survey_columns.{self.survey}", s)
                         for s in self.strands if s in questions and columns is not None and s not in columns]

    def _gap_references(self, known: dict) -> list[InitErrorDetails]:
        subgroups, ids = known.get("subgroups"), known.get("indicator_ids")
        errors = []
        if ids is not None and self.of not in ids:
            errors.append(_error(("of",), f"{self.of!r} is not an indicator id", self.of))
        if len(self.groups) != 2:
            errors.append(_error(("groups",), f"a gap needs exactly two groups, got {list(self.groups)}"))
        if subgroups is not None and self.subgroup not in subgroups:
            errors.append(_error(("subgroup",), f"{self.subgroup!r} is not one of [subgroups]", self.subgroup))
        elif subgroups is not None:
            errors += [_error(("groups",), f"{g!r} is not in subgroups.{self.subgroup}", g)
                       for g in self.groups if g not in subgroups[self.subgroup]]
        return errors


# --- inputs ----------------------------------------------------------------------------------

class Inputs(_Model):
    areas: Text = Field(description="areas file (CSV or Excel)")
    boundaries: Globs = Field(description="list of boundary files or globs")
    boundary_code_column: Text = Field(description="the column of the boundary files holding the area code")
    boundary_layer: Text | None = Field(None, description="layer name, for a GeoPackage with several")
    surveys: Globs = Field((), description="respondent-level survey files (globs)")
    aggregated: Globs = Field((), description="aggregated survey tables (globs)")
    crime: Globs = Field((), description="police.uk street-level CSVs (globs)")
    msf: Text | None = Field(None, description="most-similar-force values")
    matrix: Text | None = Field(None, description="the force's own crime/worry matrix")
    repair_invalid_geometry: Flag = Field(False, description=(
        "repair invalid polygons with a warning instead of rejecting them"))
    overlap_tolerance_m2: Number = Field(1.0, ge=0, description=(
        "overlap between two areas tolerated as digitising noise, in m²"))
    max_count_drop: Number = Field(0.10, ge=0, le=1, description=(
        "control totals: the largest fall, as a fraction of the live snapshot's count, of a survey's respondents "
        "(or summed aggregated bases) in a period, or of the crime rows of a month, that was complete in the live "
        "snapshot (0 to 1). A larger fall rejects the ingest unless accepted with `--accept-drop` "
        "(docs/data-formats.md, \"Control totals\")"))


INPUT_KEYS = tuple(Inputs.model_fields)


# --- the crime/worry matrix ------------------------------------------------------------------

def _crime_type_problems(types, loc: tuple) -> list[InitErrorDetails]:
    from .data.policeuk import CRIME_TYPES  # the 14 police.uk types (imported late: policeuk imports config)

    return [_error(loc, f"{t!r} is not a police.uk crime type", t) for t in types if t not in CRIME_TYPES]


class MatrixIndicator(_Model):
    id: Text = Field(description="identifier of the measure")
    side: Literal["crime", "worry"] = Field(description="`crime` (recorded crime) or `worry` (perception)")
    weight: Number = Field(gt=0, description="its share in its side's index")
    crime_type: Text | None = Field(None, description="required for the crime side: a police.uk crime type")
    indicator: Text | None = Field(None, description=(
        "required for the worry side: a `proportion` or `strand_score` indicator of a survey with "
        "respondent-level area data "
        "(`level = \"area\"`); all worry indicators come from one survey"))
    direction: Literal[1, -1] = Field(1, description="1: more is worse; -1: more is better")

    @model_validator(mode="after")
    def _side(self) -> MatrixIndicator:
        errors = []
        if self.side == "crime":
            errors += _crime_type_problems([self.crime_type], ("crime_type",))
        elif self.indicator is None:
            errors.append(_error(("indicator",), "required key is missing (for side = 'worry')"))
        _raise("matrix_indicators", errors)
        return self


class ResourceLevel(_Model):
    crime: Band = Field(description="crime level: `high`, `nd` (not distinguishable) or `low`")
    worry: Band = Field(description="worry level: `high`, `nd` or `low`")
    level: Text = Field(description="the resource level's name")
    rank: Int = Field(description="its order (higher: more resource)")
    colour: Text = Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="its colour, `#RRGGBB`")
    engagement: Text = Field(description="the engagement advised")
    frequency: Text = Field(description="how often")


class MatrixSettings(_Model):
    """``[matrix]``; with the ``[crime_baskets]``, ``[[matrix_indicators]]`` and
    ``[[resource_levels]]`` tables as ``baskets``, ``indicators`` and ``levels``."""

    crime_window_months: Int = Field(ge=1, description="rolling window of recorded crime ending with each period")
    survey_window_periods: Int = Field(ge=1, description=(
        "survey periods pooled for the worry side (the period and the ones before it)"))
    cut: Literal["force_average", "tertiles"] = Field(description=(
        "where an axis is cut: `force_average` (index 100) or `tertiles` of the areas' indices"))
    confidence: Number = Field(0.95, gt=0, lt=1, description="level of the index intervals")
    hold_periods: Int = Field(1, ge=1, description=(
        "a published resource level changes only after the new band has held this many periods"))
    _baskets: dict[str, tuple[str, ...]] = PrivateAttr(default_factory=dict)
    _indicators: tuple[MatrixIndicator, ...] = PrivateAttr(())
    _levels: tuple[ResourceLevel, ...] = PrivateAttr(())
    _worry_survey: str = PrivateAttr("")

    @property
    def baskets(self) -> dict[str, tuple[str, ...]]:
        return self._baskets

    @property
    def indicators(self) -> tuple[MatrixIndicator, ...]:
        return self._indicators

    @property
    def levels(self) -> tuple[ResourceLevel, ...]:
        return self._levels

    @property
    def worry_survey(self) -> str:
        """The one survey (of level ``area``) every worry-side indicator comes from."""
        return self._worry_survey

    def level_for(self, crime: str, worry: str) -> ResourceLevel:
        for lv in self.levels:
            if lv.crime == crime and lv.worry == worry:
                return lv
        raise KeyError(f"no resource level for crime {crime!r} and worry {worry!r}")


# --- display, dataset ------------------------------------------------------------------------

class Display(_Model):
    """What the pages show first; every field falls back to a rule in dashboard.views when unset."""

    map_indicator: Text | None = Field(None, description="the indicator the map shows first")
    headline: tuple[Text, ...] = Field((), description="indicators of the overview board and pack page 1, in order")
    equality: tuple[Text, ...] = Field((), description="`gap` indicators of the equality page and the pack")


class Dataset(_Model):
    synthetic: Flag = Field(False, description=(
        "set by `dashboard demo`: the data set is synthetic, and every page and pack says so"))


# --- the whole file --------------------------------------------------------------------------

class ForceConfig(_Model):
    """A force configuration file. Fields are validated in this order; a section is recorded in
    the validation context once valid, for the references of the sections after it."""

    force: ForceSection = Field(title="The force", description="the force's code and names")
    divisions: tuple[Division, ...] = Field(title="Divisions", min_length=1, description=(
        "one `[[divisions]]` table per division (BCU), at least one"))
    msf: MsfSection = Field(MsfSection(), title="Most similar forces", description=(
        "the forces `msf.csv` compares this force with"))
    period_settings: PeriodsSection = Field(title="Periods", alias="periods", description=(
        "the periods the force reports in"))
    statistics: StatisticsSection = Field(title="Statistics", description=(
        "disclosure control and the significance policy (docs/methods.md, \"What a colour or a marker means\")"))
    surveys: dict[str, Survey] = Field({}, title="Surveys", description=(
        "one `[surveys.CODE]` table per survey; CODE is the `survey` column of its files (none for a force "
        "that publishes recorded crime only)"))
    answer_scales: dict[str, AnswerScale] = Field({}, title="Answer scales", description=(
        "one `[answer_scales.NAME]` table per answer scale: the codes a question column may hold"))
    questions: dict[str, Question] = Field({}, title="Questions", description=(
        "`COLUMN = { scale, text }` for each question column of the respondent-level files"))
    survey_columns: dict[str, tuple[Text, ...]] = Field({}, title="Survey columns", description=(
        "`CODE = [...]`: the columns each survey's respondent-level files must carry beyond the common ones "
        "(question columns, and `crime_type` for a victim survey); a survey given only as aggregated tables "
        "needs none"))
    subgroup_table: Subgroups | None = Field(None, title="Subgroups", alias="subgroups", description=(
        "the categories allowed in the respondent-level files' subgroup columns, and so the subgroups results "
        "are given for; required when `inputs.surveys` lists respondent-level files"))
    indicators: tuple[Indicator, ...] = Field((), title="The indicator catalogue", description=(
        "one `[[indicators]]` table per indicator; keys marked with a kind are required for that kind and "
        "refused for the others (none for a force that publishes recorded crime only)"))
    inputs: Inputs = Field(title="Inputs", description=(
        "where the input files are, relative to the source directory given to `ingest` (absolute paths also "
        "work); globs are allowed, and every input but the areas and boundaries may be left out"))
    matrix_settings: MatrixSettings | None = Field(None, title="The crime/worry matrix", alias="matrix", description=(
        "each area's crime level against its residents' worry, giving a resource level (docs/methods.md); "
        "without this table no matrix is computed and the three tables below must be left out"))
    crime_baskets: dict[str, tuple[Text, ...]] = Field({}, title="Crime baskets", description=(
        "`NAME = [...]`: named groups of police.uk crime types (all crime, neighbourhood crime, ASB), published "
        "as crime rates beside each type (and used by the matrix)"))
    matrix_indicators: tuple[MatrixIndicator, ...] = Field((), title="Matrix indicators", description=(
        "the matrix's measures: police.uk crime types on the `crime` side, indicators of one area-level survey "
        "on the `worry` side; at least one of each"))
    resource_levels: tuple[ResourceLevel, ...] = Field((), title="Resource levels", description=(
        "one for each of the nine combinations of crime level and worry level (`high`, `nd`, `low`)"))
    display: Display = Field(Display(), title="Display", description=(
        "what the pages show first; each key falls back to a rule when left out"))
    dataset: Dataset = Field(Dataset(), title="Data set", description="what the data set is")
    _path: Path = PrivateAttr(DEFAULT_CONFIG)
    _text: str = PrivateAttr("")
    _by_id: dict[str, Indicator] = PrivateAttr(default_factory=dict)

    # -- sections recorded for the references after them, with their checks ------------------
    @field_validator("divisions")
    @classmethod
    def _unique_divisions(cls, divisions):
        codes = [d.code for d in divisions]
        _raise("divisions", [_error((), f"code {dup!r} is used more than once", dup)
                             for dup in sorted({x for x in codes if codes.count(x) > 1})])
        return divisions

    @field_validator("surveys", "answer_scales", "questions")
    @classmethod
    def _named(cls, value: dict, info: ValidationInfo):
        attr = {"surveys": "_code", "answer_scales": "_name", "questions": "_column"}[info.field_name]
        for key, item in value.items():
            setattr(item, attr, key)
        if info.field_name == "questions":
            scales = _known(info, "answer_scales")
            if scales is not None:
                _raise("questions", [_error((col, "scale"), f"{q.scale!r} is not one of [answer_scales]", q.scale)
                                     for col, q in value.items() if q.scale not in scales])
        if info.context is not None:
            info.context[info.field_name] = value
        return value

    @field_validator("survey_columns")
    @classmethod
    def _survey_columns(cls, value: dict, info: ValidationInfo):
        surveys, questions = _known(info, "surveys"), _known(info, "questions")
        errors = []
        for code, cols in value.items():
            if surveys is not None and code not in surveys:
                errors.append(_error((code,), f"{code!r} is not a survey in [surveys]"))
            if questions is not None:
                errors += [_error((code,), f"{col!r} is not a question in [questions]", col)
                           for col in cols if col != CRIME_TYPE_COLUMN and col not in questions]
        _raise("survey_columns", errors)
        if info.context is not None:
            info.context["survey_columns"] = value
        return value

    @field_validator("subgroup_table")
    @classmethod
    def _record_subgroups(cls, value: Subgroups | None, info: ValidationInfo):
        if info.context is not None:
            info.context["subgroups"] = {k: v for k, v in value or () if v is not None}
        return value

    @field_validator("indicators", mode="before")
    @classmethod
    def _record_indicator_ids(cls, value, info: ValidationInfo):
        """The catalogue as written (even where an entry is invalid), for the ids referred to later."""
        if info.context is not None and isinstance(value, list):
            written = [r for r in value if isinstance(r, dict) and isinstance(r.get("id"), str)]
            info.context["indicator_ids"] = [r["id"] for r in written]
            info.context["indicators"] = {r["id"]: r for r in written}
        return value

    @field_validator("crime_baskets")
    @classmethod
    def _baskets(cls, value: dict):
        _raise("crime_baskets", [e for name, types in value.items() for e in _crime_type_problems(types, (name,))])
        return value

    @field_validator("matrix_indicators")
    @classmethod
    def _matrix_indicators(cls, mis: tuple[MatrixIndicator, ...], info: ValidationInfo):
        """Worry-side measures are scored per respondent and area: indicators of one area-level survey."""
        catalogue, surveys = _known(info, "indicators"), _known(info, "surveys")
        errors, survey_of = [], {}
        for i, mi in enumerate(mis):
            if mi.side != "worry" or catalogue is None:
                continue
            ind = catalogue.get(mi.indicator)
            if ind is None or ind.get("kind") == "gap":
                errors.append(_error((i, "indicator"), f"{mi.indicator!r} is not a proportion or strand_score "
                                                       "indicator in [[indicators]]", mi.indicator))
                continue
            survey = survey_of[i] = ind.get("survey")
            if surveys is not None and survey in surveys and surveys[survey].level != "area":
                errors.append(_error((i, "indicator"), f"{mi.indicator!r} is an indicator of survey {survey}, "
                                     f"whose level is {surveys[survey].level!r}: the worry side needs respondents "
                                     "with an area (a survey of level 'area')", mi.indicator))
        if len(set(survey_of.values())) > 1:
            counts = list(survey_of.values())
            main = max(counts, key=counts.count)  # the survey of most worry indicators (the first, if tied)
            errors += [_error((i, "indicator"), f"{mis[i].indicator!r} is an indicator of survey {s}, but the other "
                              f"worry-side indicators are of survey {main}: all must come from one survey",
                              mis[i].indicator) for i, s in survey_of.items() if s != main]
        _raise("matrix_indicators", errors)
        return mis

    @field_validator("resource_levels")
    @classmethod
    def _nine_levels(cls, levels: tuple[ResourceLevel, ...]):
        if not levels:
            return levels
        combos = [(lv.crime, lv.worry) for lv in levels]
        errors = [_error((), f"no level for crime {cb!r} and worry {wb!r}")
                  for cb in MATRIX_BANDS for wb in MATRIX_BANDS if (cb, wb) not in combos]
        errors += [_error((i,), f"a second level for crime {c!r} and worry {w!r}")
                   for i, (c, w) in enumerate(combos) if combos.index((c, w)) != i]
        _raise("resource_levels", errors)
        return levels

    @field_validator("display")
    @classmethod
    def _display(cls, display: Display, info: ValidationInfo):
        catalogue = _known(info, "indicators")
        if catalogue is None:
            return display
        errors = []
        if display.map_indicator is not None and display.map_indicator not in catalogue:
            errors.append(_error(("map_indicator",), f"{display.map_indicator!r} is not an indicator id"))
        for name in ("headline", "equality"):
            for i, v in enumerate(getattr(display, name)):
                if v not in catalogue:
                    errors.append(_error((name, i), f"{v!r} is not an indicator id", v))
                elif name == "equality" and catalogue[v].get("kind") in ("proportion", "strand_score"):
                    errors.append(_error((name, i), f"{v!r} is not a gap indicator", v))
        _raise("display", errors)
        return display

    @model_validator(mode="after")
    def _matrix_parts(self) -> ForceConfig:
        """The four matrix tables go together, and the [matrix] settings carry the other three;
        respondent-level files need the subgroups their columns are checked against."""
        errors = []
        if self.inputs.surveys and self.subgroup_table is None:
            errors.append(_error(("subgroups",), "required key is missing (inputs.surveys lists respondent-level "
                                                 "files, whose age_band, sex and ethnicity columns it lists)"))
        if self.matrix_settings is None:
            errors += [_error((name,), "only with a [matrix] table") for name in
                       ("matrix_indicators", "resource_levels") if name in self.model_fields_set]
        else:
            errors += [_error(("matrix_indicators",), f"list at least one {side} indicator")
                       for side in ("crime", "worry") if not any(mi.side == side for mi in self.matrix_indicators)]
            if not self.resource_levels:
                errors.append(_error(("resource_levels",), "list one for each of the nine combinations"))
            m = self.matrix_settings
            m._baskets, m._indicators = dict(self.crime_baskets), self.matrix_indicators
            m._levels = self.resource_levels
            by_id = {i.id: i for i in self.indicators}
            worry = [by_id[mi.indicator].survey for mi in self.matrix_indicators if mi.side == "worry"]
            m._worry_survey = worry[0] if worry else ""
        _raise("force configuration", errors)
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._by_id = {i.id: i for i in self.indicators}

    # -- what the code reads ------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self._path

    @property
    def text(self) -> str:
        """The file as written (published with each snapshot)."""
        return self._text

    @property
    def force_code(self) -> str:
        return self.force.code

    @property
    def force_name(self) -> str:
        return self.force.name

    @property
    def force_short_name(self) -> str:
        return self.force.short_name or self.force.name

    @property
    def division_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.divisions)

    @property
    def msf_peers(self) -> tuple[str, ...]:
        return self.msf.peers

    @property
    def periods(self) -> tuple[Period, ...]:
        return self.period_settings._periods

    @property
    def period_labels(self) -> tuple[str, ...]:
        return tuple(p.label for p in self.periods)

    @property
    def period_kind(self) -> str:
        return self.period_settings.kind

    @property
    def rolling_periods(self) -> int:
        return self.period_settings.rolling

    @property
    def baseline_period(self) -> str:
        settings = self.period_settings
        return settings.baseline or settings.labels[min(settings.rolling, len(settings.labels)) - 1]

    @property
    def suppression_threshold(self) -> int:
        return self.statistics.suppression_threshold

    @property
    def small_base_flag(self) -> dict[str, int]:
        """Level (force, division, area) -> the base below which the small-base flag † is shown."""
        return self.statistics.small_base

    @property
    def panel_suppression_threshold(self) -> int:
        return self.statistics.panel_threshold

    @property
    def area_subgroups(self) -> bool:
        return self.statistics.area_subgroups

    @property
    def policy(self) -> StatisticsPolicy:
        return self.statistics._policy

    @property
    def subgroups(self) -> dict[str, tuple[str, ...]]:
        """Dimension -> categories, in order ({} when the force has no subgroups)."""
        return {k: v for k, v in self.subgroup_table or () if v is not None}

    @property
    def matrix(self) -> MatrixSettings | None:
        return self.matrix_settings

    @property
    def synthetic(self) -> bool:
        return self.dataset.synthetic

    @property
    def panel_variant(self) -> bool:
        """Whether the panel sees tables of its own (its threshold is stricter than everyone's)."""
        return self.panel_suppression_threshold > self.suppression_threshold

    def for_panel(self) -> ForceConfig:
        """This configuration as the panel's tables are built and described: its threshold."""
        threshold = self.panel_suppression_threshold
        statistics = self.statistics.model_copy(update={
            "suppression_threshold": threshold, "panel_suppression_threshold": threshold,
            "small_base_flag": {level: max(flag, threshold) for level, flag in self.small_base_flag.items()}})
        return self.model_copy(update={"statistics": statistics})

    def indicator(self, indicator_id: str) -> Indicator:
        try:
            return self._by_id[indicator_id]
        except KeyError:
            raise KeyError(f"unknown indicator {indicator_id!r}") from None

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


# --- problems in words -----------------------------------------------------------------------

_EXPECTED = {"int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
             "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
             "bool_parsing": "true or false", "string_type": "text", "tuple_type": "a list", "list_type": "a list",
             "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table"}
_WITH_VALUE = {"literal_error", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
               "string_pattern_mismatch", "too_short", "too_long"}


def dotted(loc: tuple) -> str:
    """``('indicators', 3, 'polarity')`` -> ``indicators[3].polarity``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "[key]":
            out += f".{part}" if out else str(part)
    return out or "<top level>"


def _keys_at(loc: tuple) -> list[str]:
    """The keys the schema allows in the table at ``loc`` (empty if it is not a table of keys)."""
    t: Any = ForceConfig
    for part in loc:
        while typing.get_origin(t) in (typing.Union, types.UnionType, Annotated):
            t = next(a for a in typing.get_args(t) if a is not type(None))
        if isinstance(t, type) and issubclass(t, BaseModel):
            field = next((f for n, f in t.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return []
            t = field.annotation
        elif typing.get_origin(t) in (tuple, dict):
            t = typing.get_args(t)[-1 if typing.get_origin(t) is dict else 0]
        else:
            return []
    while typing.get_origin(t) in (typing.Union, types.UnionType):
        t = next(a for a in typing.get_args(t) if a is not type(None))
    return [f.alias or n for n, f in t.model_fields.items()] if isinstance(t, type) and issubclass(t, BaseModel) else []


def problem_text(error: dict) -> str:
    """One pydantic error as ``dotted.key: message``, in the words the docs use."""
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        near = difflib.get_close_matches(str(error["loc"][-1]), _keys_at(error["loc"][:-1]), n=1, cutoff=0.75)
        message = "unknown key" + (f" (did you mean {near[0]!r}?)" if near else "")
    elif kind == "missing":
        message = "required key is missing"
    elif error["loc"] and error["loc"][-1] == "[key]":
        message = f"a key here must be a whole number, got {value!r}"
    elif kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {value!r}"
    elif kind in _WITH_VALUE:
        message = f"{error['msg']}, got {value!r}"
    else:
        message = error["msg"]
    return f"{dotted(error['loc'])}: {message}"


# --- loading ---------------------------------------------------------------------------------

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


def parse_config(raw: dict, path: Path | str, text: str = "") -> ForceConfig:
    """Check a parsed TOML document; raise ConfigError listing every problem with its dotted key."""
    try:
        config = ForceConfig.model_validate(raw, context={})
    except ValidationError as exc:
        raise ConfigError(path, [problem_text(e) for e in exc.errors(include_url=False)]) from None
    config._path, config._text = Path(path), text
    return config
