"""The first page in a real browser: the overview table from the store, the synthetic banner,
no console errors."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.overview import overview_frame

pytestmark = pytest.mark.browser


def test_overview_shows_the_store_in_a_browser(dash_duo, demo_store, screenshots):
    app = create_app(demo_store)
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#overview-table", timeout=20)
    banner = dash_duo.find_element("#synthetic-banner")
    assert "Synthetic demonstration data" in banner.text

    snapshot = Store(demo_store).open()
    frame = overview_frame(snapshot.table("estimates"), snapshot_config(snapshot))
    row = frame[(frame.indicator == "spi1e") & (frame.level == "force")].iloc[0]
    cell = dash_duo.find_element('td[data-indicator="spi1e"][data-geography="WM"]')
    assert f"{row.value:.1f}%" in cell.text
    assert f"95% CI {row.lower_95:.1f}–{row.upper_95:.1f}" in cell.text
    assert f"n = {int(row.base):,}" in cell.text
    assert len(dash_duo.find_elements("#overview-table tbody tr")) == frame["indicator"].nunique()
    assert dash_duo.driver.execute_script("return document.documentElement.lang") == "en"

    dash_duo.driver.save_screenshot(str(screenshots / "overview.png"))
    assert dash_duo.get_logs() == []
