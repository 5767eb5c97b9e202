"""The example forces that ``dashboard demo --force NAME`` writes, each a complete source
directory (``force.toml`` and its data) for ``dashboard ingest``. Each has its configuration in
``data/forces/NAME.toml``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Example:
    name: str
    summary: str
    synthetic: bool  # False: built from the real public files in ../shared/data


EXAMPLES = {e.name: e for e in (
    Example("west-mercia", "the synthetic West Mercia demo: respondent-level surveys, crime, MSF, a supplied matrix",
            synthetic=True),
    Example("eastmoor", "a fictional force: 8 divisions, 40 areas, a quarterly survey as aggregated area tables only",
            synthetic=True),
    Example("west-mercia-wards", "real police.uk crime on West Mercia's 257 wards of 2013 with ward populations; "
                                 "no survey", synthetic=False),
)}
DEFAULT = "west-mercia"


def write_example(name: str, out_dir: Path, seed: int | None = None, shared: Path | None = None,
                  progress: Callable[[str], None] = lambda msg: None, **demo_options) -> list[Path]:
    """Write example ``name`` into ``out_dir``. ``seed`` (synthetic examples; None: the example's
    own default), ``shared`` (the folder of public data, for the real-data example; None: the
    one beside the repository) and ``demo_options`` (``write_demo``'s scale, crime_months,
    areas, null_world: West Mercia only)."""
    if name not in EXAMPLES:
        raise ValueError(f"unknown example force {name!r} (known: {', '.join(EXAMPLES)})")
    if demo_options and name != "west-mercia":
        raise ValueError(f"{', '.join(sorted(demo_options))}: only for the west-mercia demo")
    if shared is not None and EXAMPLES[name].synthetic:
        raise ValueError(f"{name} is synthetic: it reads no public data (--data is for the real-data examples)")
    seeded = {} if seed is None else {"seed": seed}
    if name == "west-mercia":
        from .demo import write_demo

        return write_demo(out_dir, progress=progress, **seeded, **demo_options)
    if name == "eastmoor":
        from .demo_eastmoor import write_eastmoor

        return write_eastmoor(out_dir, **seeded)
    if seeded:
        raise ValueError(f"{name} is built from real public files: it takes no seed")
    from .demo_wards import DEFAULT_SHARED, write_wards

    return write_wards(out_dir, shared or DEFAULT_SHARED)
