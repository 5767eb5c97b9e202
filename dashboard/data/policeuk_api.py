"""Download a force's neighbourhoods, their boundaries and street-level crime from the public
police.uk API, into files the ingest reads: ``areas.csv`` (division left for the analyst to
fill), ``boundaries.kml`` (one placemark per neighbourhood, named by its id) and
``crime/YYYY-MM-<force>-street.csv`` in police.uk's own CSV layout.

Endpoints used (https://data.police.uk/docs/): ``forces``, ``{force}/neighbourhoods``,
``{force}/{id}/boundary``, ``crimes-street/all-crime`` (POST with ``poly``), and
``crimes-no-location``. The API gives no LSOA, so those columns are left blank.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.police.uk/api"
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
          "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]
CATEGORY_NAMES = {
    "anti-social-behaviour": "Anti-social behaviour", "bicycle-theft": "Bicycle theft", "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson", "drugs": "Drugs", "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons", "public-order": "Public order", "robbery": "Robbery",
    "shoplifting": "Shoplifting", "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime", "violent-crime": "Violence and sexual offences", "other-crime": "Other crime",
}


class FetchError(RuntimeError):
    """The download could not be completed; the message says why and what to do."""


@dataclass
class FetchResult:
    neighbourhoods: int
    crime_rows: int
    files: list[Path]


def session(retries: int = 4, backoff: float = 0.5) -> requests.Session:
    """A session that retries connection errors, 429 and 5xx with exponential backoff."""
    s = requests.Session()
    retry = Retry(total=retries, backoff_factor=backoff, status_forcelist=(429, 500, 502, 503, 504),
                  allowed_methods=("GET", "POST"), raise_on_status=False)
    s.mount("http://", HTTPAdapter(max_retries=retry))
    s.mount("https://", HTTPAdapter(max_retries=retry))
    s.headers["User-Agent"] = "confidence-dashboard (police performance analysis)"
    return s


def _call(http: requests.Session, method: str, url: str, timeout: float, **kwargs):
    try:
        response = http.request(method, url, timeout=timeout, **kwargs)
    except requests.ConnectionError as exc:
        raise FetchError(f"cannot reach {url}: {exc.__class__.__name__}. Is there a network connection? "
                         "(No file was changed.)") from None
    except requests.Timeout:
        raise FetchError(f"{url} did not answer within {timeout:g} s; try again later") from None
    if response.status_code == 404:
        raise FetchError(f"{url} answered 404 not found: check the force and neighbourhood ids")
    if response.status_code != 200:
        raise FetchError(f"{url} answered HTTP {response.status_code} after retries: {response.text[:200]}")
    try:
        return response.json()
    except ValueError:
        raise FetchError(f"{url} did not return JSON: {response.text[:200]!r}") from None


def _month_range(first: str, last: str) -> list[str]:
    import pandas as pd

    try:
        months = pd.period_range(first, last, freq="M")
    except ValueError:
        raise FetchError(f"months must look like 2018-10 (got {first!r} to {last!r})") from None
    if len(months) == 0:
        raise FetchError(f"the first month {first} is after the last month {last}")
    return [str(m) for m in months]


def _kml(placemarks: list[tuple[str, str, list[tuple[float, float]]]]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>']
    for code, name, ring in placemarks:
        if ring[0] != ring[-1]:
            ring = ring + [ring[0]]
        coords = " ".join(f"{lon},{lat}" for lat, lon in ring)
        out.append(f"<Placemark><name>{escape(code)}</name><description>{escape(name)}</description>"
                   f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}</coordinates>"
                   "</LinearRing></outerBoundaryIs></Polygon></Placemark>")
    out.append("</Document></kml>")
    return "\n".join(out) + "\n"


def _crime_row(c: dict, force_name: str) -> list[str]:
    loc = c.get("location") or {}
    outcome = c.get("outcome_status") or {}
    category = c.get("category", "")
    return [c.get("persistent_id") or "", c.get("month", ""), force_name, force_name,
            str(loc.get("longitude") or ""), str(loc.get("latitude") or ""),
            ((loc.get("street") or {}).get("name") or "No Location") if loc else "No Location", "", "",
            CATEGORY_NAMES.get(category, category), outcome.get("category") or "", c.get("context") or ""]


def fetch_policeuk(force: str, first_month: str, last_month: str, out_dir: Path,
                   base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0,
                   http: requests.Session | None = None) -> FetchResult:
    """Download everything for ``force`` (a police.uk force id such as ``west-mercia``)."""
    http = http or session()
    base = base_url.rstrip("/")
    months = _month_range(first_month, last_month)
    forces = {f["id"]: f["name"] for f in _call(http, "GET", f"{base}/forces", timeout)}
    if force not in forces:
        near = [f for f in forces if force.replace(" ", "-").lower() in f]
        raise FetchError(f"{force!r} is not a police.uk force id" + (f"; did you mean {near[0]!r}?" if near else
                         f"; ids are like {', '.join(sorted(forces)[:3])}"))
    force_name = forces[force]
    hoods = _call(http, "GET", f"{base}/{force}/neighbourhoods", timeout)
    log.info("%s: %d neighbourhoods", force_name, len(hoods))
    placemarks = []
    for i, h in enumerate(hoods, 1):
        points = _call(http, "GET", f"{base}/{force}/{h['id']}/boundary", timeout)
        ring = [(float(p["latitude"]), float(p["longitude"])) for p in points]
        if len(ring) < 3:
            raise FetchError(f"the boundary of neighbourhood {h['id']} has fewer than 3 points")
        placemarks.append((h["id"], h["name"], ring))
        if i % 25 == 0:
            log.info("boundaries: %d of %d", i, len(hoods))
    out_dir = Path(out_dir)
    (out_dir / "crime").mkdir(parents=True, exist_ok=True)
    files = []
    areas = io.StringIO()
    w = csv.writer(areas, lineterminator="\n")
    w.writerow(["area_code", "area_name", "division_code", "population"])
    for code, name, _ in placemarks:
        w.writerow([code, name, "", ""])
    (out_dir / "areas.csv").write_text(areas.getvalue(), encoding="utf-8")
    (out_dir / "boundaries.kml").write_text(_kml(placemarks), encoding="utf-8")
    files += [out_dir / "areas.csv", out_dir / "boundaries.kml"]
    total = 0
    for month in months:
        seen, rows = set(), []
        for _code, _, ring in placemarks:
            poly = ":".join(f"{lat},{lon}" for lat, lon in ring)
            crimes = _call(http, "POST", f"{base}/crimes-street/all-crime", timeout, data={"poly": poly, "date": month})
            for c in crimes:
                if c.get("id") in seen:  # a crime on a shared boundary is returned for both polygons
                    continue
                seen.add(c.get("id"))
                rows.append(_crime_row(c, force_name))
        for c in _call(http, "GET", f"{base}/crimes-no-location", timeout,
                       params={"category": "all-crime", "force": force, "date": month}):
            rows.append(_crime_row({**c, "location": None}, force_name))
        path = out_dir / "crime" / f"{month}-{force}-street.csv"
        buf = io.StringIO()
        cw = csv.writer(buf, lineterminator="\n")
        cw.writerow(HEADER)
        cw.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
        files.append(path)
        total += len(rows)
        log.info("%s: %d crimes", month, len(rows))
    return FetchResult(len(placemarks), total, files)
