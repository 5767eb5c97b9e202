"""No id of any shipped force configuration is written in the code: another force is another config file
plus its data (issue #12). The demo generators, which write the example forces, are the
exception."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import REPO

GENERATORS = ("demo", "demo_geography", "examples")


def _force_ids() -> set[str]:
    """The ids of every shipped force configuration (West Mercia and the example forces), read from
    the raw TOML so that a file the generator completes (the wards' divisions) still counts."""
    ids: set[str] = set()
    for path in sorted((REPO / "data" / "forces").glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        ids |= {i["id"] for i in raw.get("indicators", [])} | set(raw.get("surveys", {}))
        ids |= {d["code"] for d in raw.get("divisions", [])} | set(raw.get("periods", {}).get("labels", []))
        ids |= set(raw.get("questions", {})) | set(raw.get("crime_baskets", {}))
        ids |= {m["id"] for m in raw.get("matrix_indicators", [])}
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
