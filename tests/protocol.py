"""The callback bodies a browser posts, for tests and benchmarks: they live in
``dashboard.protocol`` since the cache warmer (``dashboard.cache.warm``) posts them too."""

from dashboard.protocol import (  # noqa: F401  (re-exported for the tests)
    PageDriver,
    button_request,
    download_request,
    figure_request,
    map_drawn,
    map_request,
    page_request,
    selections,
    state,
)
