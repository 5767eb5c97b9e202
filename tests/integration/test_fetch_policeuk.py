"""`dashboard fetch-policeuk` against recorded police.uk API responses served on 127.0.0.1, and
the files it writes going through the real ingest readers."""

from __future__ import annotations

import json
import socket
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import geopandas as gpd
import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.config import load_config, parse_config
from dashboard.data.policeuk import HEADER, read_crime_files
from dashboard.data.problems import Findings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "policeuk_api"


class _Api(BaseHTTPRequestHandler):
    failures_left = 0  # answer 503 this many times first, to exercise the retries
    requests_seen: list[str] = []

    def log_message(self, *args):
        pass

    def _send(self, status, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, path: str, form: dict[str, list[str]]):
        type(self).requests_seen.append(path)
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            return 503, b"busy"
        parts = path.strip("/").split("/")[1:]  # drop "api"
        if parts == ["forces"]:
            return 200, (FIXTURES / "forces.json").read_bytes()
        if parts == ["west-mercia", "neighbourhoods"]:
            return 200, (FIXTURES / "neighbourhoods.json").read_bytes()
        if len(parts) == 3 and parts[0] == "west-mercia" and parts[2] == "boundary":
            f = FIXTURES / f"boundary-{parts[1]}.json"
            return (200, f.read_bytes()) if f.exists() else (404, b"[]")
        if parts == ["crimes-street", "all-crime"]:
            poly = form.get("poly", [""])[0]
            for hood in ("WM-SYN-A", "WM-SYN-B"):
                ring = json.loads((FIXTURES / f"boundary-{hood}.json").read_text())
                if poly.startswith(f"{float(ring[0]['latitude'])},{float(ring[0]['longitude'])}"):
                    return 200, (FIXTURES / f"crimes-{hood}.json").read_bytes()
            return 200, b"[]"
        if parts == ["crimes-no-location"]:
            return 200, (FIXTURES / "crimes-no-location.json").read_bytes()
        return 404, b"[]"

    def do_GET(self):
        url = urlparse(self.path)
        self._send(*self._route(url.path, parse_qs(url.query)))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        self._send(*self._route(urlparse(self.path).path, form))


@pytest.fixture()
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    _Api.failures_left, _Api.requests_seen = 0, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()


def test_fetch_writes_files_the_ingest_reads(api, tmp_path):
    out = tmp_path / "wm"
    code = main(["fetch-policeuk", "--force", "west-mercia", "--from", "2018-10", "--to", "2018-10",
                 "--out", str(out), "--base-url", api])
    assert code == 0
    areas = pd.read_csv(out / "areas.csv")
    assert list(areas["area_code"]) == ["WM-SYN-A", "WM-SYN-B"]
    kml = gpd.read_file(out / "boundaries.kml")
    assert kml.crs.to_epsg() == 4326 and list(kml["Name"]) == ["WM-SYN-A", "WM-SYN-B"]
    assert kml.geometry.is_valid.all() and kml.geometry.geom_type.eq("Polygon").all()
    crime_file = out / "crime" / "2018-10-west-mercia-street.csv"
    crime = pd.read_csv(crime_file, dtype=str, keep_default_na=False)
    assert list(crime.columns) == HEADER
    assert len(crime) == 6  # 3 + 3 returned, one on the shared boundary counted once, plus 1 without location
    assert (crime["Crime ID"] == "").sum() == 1 and crime.loc[crime["Crime type"] == "Anti-social behaviour",
                                                              "Crime ID"].eq("").all()
    assert (crime["Location"] == "No Location").sum() == 1
    assert set(crime["Crime type"]) <= {"Anti-social behaviour", "Burglary", "Violence and sexual offences",
                                        "Vehicle crime", "Criminal damage and arson", "Other crime"}
    assert (crime["Falls within"] == "West Mercia Police").all()
    config = load_config()
    text = config.text.replace('labels = ["2005/06", "2006/07", "2007/08", "2008/09"]', 'labels = ["2018/19"]')
    findings = Findings()
    config = parse_config(tomllib.loads(text.replace('period = "2008/09"', 'period = "2018/19"')
                                        .replace('baseline = "2005/06"', 'baseline = "2018/19"')), Path("x"), text)
    rows = read_crime_files([crime_file], config, findings)
    assert rows is not None and not findings.errors, [str(p) for p in findings.errors]


def test_retries_then_succeeds(api, tmp_path):
    _Api.failures_left = 2
    code = main(["fetch-policeuk", "--force", "west-mercia", "--from", "2018-10", "--to", "2018-10",
                 "--out", str(tmp_path / "wm"), "--base-url", api])
    assert code == 0
    assert _Api.requests_seen[:3] == ["/api/forces"] * 3


def test_unknown_force_is_a_clear_error(api, tmp_path, capsys):
    code = main(["fetch-policeuk", "--force", "mercia", "--from", "2018-10", "--to", "2018-10",
                 "--out", str(tmp_path / "x"), "--base-url", api])
    assert code == 1
    assert "did you mean 'west-mercia'" in capsys.readouterr().err


def test_offline_is_a_clear_error(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    code = main(["fetch-policeuk", "--force", "west-mercia", "--from", "2018-10", "--to", "2018-10",
                 "--out", str(tmp_path / "x"), "--base-url", f"http://127.0.0.1:{port}/api", "--retries", "0"])
    assert code == 1
    err = capsys.readouterr().err
    assert "cannot reach" in err and "network" in err
    assert not (tmp_path / "x").exists()
