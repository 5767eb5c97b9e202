"""The glossary: one entry per key, every term the pages link to has an entry, and a term is a
link to its entry that keeps the page's state."""

from __future__ import annotations

import re

import pytest

from dashboard.components.glossary import term, terms_line
from dashboard.views.glossary import ENTRIES, GLOSSARY, entry
from tests.conftest import REPO


def test_keys_are_unique_anchors():
    keys = [e.key for e in ENTRIES]
    assert len(keys) == len(set(keys)) == len(GLOSSARY)
    assert all(re.fullmatch(r"[a-z][a-z-]*", k) for k in keys)


def test_every_linked_term_has_an_entry():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "dashboard").rglob("*.py"))
    used = set(re.findall(r"\bterm\(\"([^\"]+)\"", code))
    for args in re.findall(r"terms_line\(([^)]*)\)", code):
        used |= set(re.findall(r"\"([^\"]+)\"", args))
    used.discard("*keys")
    assert used and used <= set(GLOSSARY), used - set(GLOSSARY)
    # The ones the issue names are there.
    assert {"msf", "fdr", "shrunken", "p-meets", "interval", "suppression", "small-base"} <= set(GLOSSARY)


def test_a_term_links_to_its_entry_and_keeps_the_state():
    a = term("msf", "MSF average")
    assert (a.href, a.children, a.title) == ("/glossary#msf", "MSF average", entry("msf").text)
    assert a.to_plotly_json()["props"]["data-keep-state"] == "1"
    assert term("fdr").children == entry("fdr").term
    line = terms_line("interval", "base")
    assert [c.href for c in line.children if hasattr(c, "href")] == ["/glossary#interval", "/glossary#base"]
    with pytest.raises(KeyError, match="no glossary entry 'nope'"):
        term("nope")
