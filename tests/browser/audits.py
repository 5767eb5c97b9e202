"""What every page is audited for in the browser, in one place: nothing off the dashboard's origin,
and axe-core's WCAG 2.0 / 2.1 / 2.2 A and AA rules.

axe-core comes from the npm registry: `.ci/run` installs it into `.ci/axe/`. Findings that come
from inside Dash or plotly and that the app cannot fix are listed in KNOWN with the workaround;
there are none at present."""

from __future__ import annotations

from tests.conftest import REPO, need

# Everything on the page that could take the reader (or the chart) off the dashboard's origin:
# links, forms, scripts, images, stylesheets, and the charts' "Share chart…" (Plotly Cloud) button.
OFF_ORIGIN = """
var out = [];
document.querySelectorAll('a[href], form[action], script[src], img[src], link[href], iframe[src]').forEach(
  function (e) {
    var url = e.getAttribute('href') || e.getAttribute('action') || e.getAttribute('src');
    if (new URL(url, location.href).origin !== location.origin) { out.push(e.tagName + ' ' + url); }
  });
document.querySelectorAll('.modebar-btn').forEach(function (b) {
  var t = (b.getAttribute('data-title') || '') + ' ' + (b.getAttribute('data-attr') || '');
  if (/share|cloud|chart studio|plotly/i.test(t)) { out.push('chart button: ' + t); }
});
return out;"""

AXE = REPO / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
RUN = """var done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']}})
   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))));"""
KNOWN: dict[str, str] = {}


def axe_source() -> str:
    need(AXE.is_file(), f"axe-core missing: npm install --prefix {AXE.parents[2]} axe-core@4")
    return AXE.read_text(encoding="utf-8")


def serious_violations(driver, source: str) -> list[dict]:
    """axe's serious and critical findings on the page the driver shows (KNOWN ones left out)."""
    driver.set_script_timeout(90)
    driver.execute_script(source)
    return [v for v in driver.execute_async_script(RUN)
            if v["impact"] in ("serious", "critical") and v["id"] not in KNOWN]
