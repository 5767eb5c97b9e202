"""The callback bodies a browser posts, for tests and benchmarks: they live in
``dashboard.protocol`` since the cache warmer (``dashboard.cache.warm``) posts them too."""

from dashboard.protocol import (  # noqa: F401  (re-exported for the tests)
    IMAGE_DOWNLOAD,
    ROUTER_OUTPUT,
    URL_OUTPUT,
    PageDriver,
    _prop_id,  # noqa: E402
    button_request,
    download_request,
    figure_request,
    map_drawn,
    map_request,
    page_request,
    selections,
    state,
)


def pack_readiness_request(division: str = "all") -> dict:
    """The header's pack-button callback (dashboard.app._pack_readiness) for ``division``."""
    outputs = [("pack-link", "children"), ("pack-link", "className"), ("pack-link", "download"),
               ("pack-link", "target"), ("pack-poll", "disabled")]
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": state("division"), "property": "value", "value": division},
                   {"id": "pack-poll", "property": "n_intervals", "value": 0}],
        "changedPropIds": [_prop_id(state("division")) + ".value"], "state": [],
    }


def fetch_pack(get, path: str, timeout: float = 240, **kwargs):
    """GET a meeting pack (``get``: a Flask test client's or a requests session's ``get``), asking
    again while it answers 202 "being prepared" (dashboard.jobs builds it outside the request)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        response = get(path, **kwargs)
        if response.status_code != 202 or time.monotonic() > deadline:
            return response
        time.sleep(1)
