"""The documentation lists everything the code declares: settings, config keys, input columns,
published tables and columns."""

from __future__ import annotations

import re

import pytest

from dashboard.config import load_config
from dashboard.data import benchmarks, geography, policeuk, surveys
from dashboard.settings import SETTINGS_HELP
from tests.conftest import REPO

DOCS = REPO / "docs"


def test_every_setting_is_documented():
    text = (DOCS / "configuration.md").read_text()
    for s in SETTINGS_HELP:
        assert f"`{s.env}`" in text and s.help in text


def test_every_gunicorn_environment_variable_is_documented():
    conf = (REPO / "dashboard" / "gunicorn_conf.py").read_text()
    text = (DOCS / "configuration.md").read_text()
    names = set(re.findall(r"environ\.get\([\"'](\w+)[\"']", conf))
    assert names >= {"BIND", "PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT"}
    for name in names:
        assert f"`{name}`" in text, name


def test_every_proxy_option_and_template_value_is_documented():
    """Each {{value}} of the nginx template and each option of `python -m dashboard.proxy`."""
    from dashboard.proxy import TEMPLATE

    text = (DOCS / "configuration.md").read_text()
    values = set(re.findall(r"\{\{(\w+)\}\}", TEMPLATE.read_text()))
    options = set(re.findall(r"add_argument\(\"(--[\w-]+)\"", (REPO / "dashboard" / "proxy.py").read_text()))
    assert len(values) >= 10 and {"--server-name", "--cert", "--store", "--prefix"} <= options
    for name in values:
        assert f"`{{{{{name}}}}}`" in text, name
    for option in options:
        assert f"`{option}`" in text, option


def test_gunicorn_binds_to_loopback_by_default(monkeypatch):
    import runpy

    for name in ("BIND", "PORT"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(REPO / "dashboard" / "gunicorn_conf.py"))
    assert conf["bind"] == "127.0.0.1:8000"


def test_every_top_level_config_key_is_documented():
    text = (DOCS / "configuration.md").read_text()
    for key in ("force", "divisions", "msf", "periods", "statistics", "surveys", "answer_scales", "questions",
                "survey_columns", "subgroups", "indicators", "inputs", "dataset", "matrix", "crime_baskets",
                "matrix_indicators", "resource_levels"):
        assert re.search(rf"\[+{key}", text), key


@pytest.mark.parametrize("specs", [
    lambda c: geography.area_specs(c), lambda c: surveys.respondent_specs(c, "USS"),
    lambda c: surveys.respondent_specs(c, "BCS"), lambda c: surveys.respondent_specs(c, "LOCAL"),
    lambda c: surveys.aggregated_specs(c), lambda c: policeuk.SPECS, lambda c: benchmarks.msf_specs(c),
    lambda c: benchmarks.matrix_specs(c),
])
def test_every_input_column_is_documented(specs):
    text = (DOCS / "data-formats.md").read_text()
    for spec in specs(load_config()):
        assert f"`{spec.name}`" in text, spec.name


def test_every_published_column_is_documented(demo_store):
    from dashboard.data.store import Store

    text = (DOCS / "data-dictionary.md").read_text()
    snap = Store(demo_store).open()
    for path in sorted(snap.path.glob("*.parquet")):
        name = path.stem
        assert f"`{name}`" in text or (name.startswith("respondents_") and "`respondents_uss`" in text), name
        for col in snap.table(name).columns:
            if name.startswith("respondents_") and col in {q for q in load_config().questions}:
                continue  # answer columns are described as a group
            if col.startswith("pop_"):
                continue  # profile columns are described as groups
            if name in ("changes", "estimates") and col in ("indicator", "survey", "level", "geography_code",
                                                           "subgroup_dimension", "subgroup", "period"):
                assert "key columns" in text or f"`{col}`" in text
                continue
            assert f"`{col}`" in text, f"{name}.{col}"
