"""No id of a force's configuration is written in the code: another force is another config file
plus its data (issue #12). The demo generators, which write the example forces, are the
exception."""

from __future__ import annotations

import re

from dashboard.config import load_config
from tests.conftest import REPO

GENERATORS = ("demo", "demo_geography", "examples")


def _force_ids() -> set[str]:
    config = load_config(REPO / "data" / "forces" / "west-mercia.toml")
    ids = {i.id for i in config.indicators} | set(config.surveys) | set(config.division_codes)
    ids |= set(config.period_labels) | set(config.questions)
    if config.matrix is not None:
        ids |= {m.id for m in config.matrix.indicators} | set(config.matrix.baskets)
    return ids


def test_no_indicator_survey_division_or_period_id_in_the_code():
    ids = _force_ids()
    alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    pattern = re.compile(rf"""["']({alternatives})["']""")
    found = []
    for path in sorted((REPO / "dashboard").rglob("*.py")):
        if path.stem.startswith(GENERATORS):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in pattern.finditer(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {m.group(0)}")
    assert not found, "force-specific ids in the code:\n" + "\n".join(found)
