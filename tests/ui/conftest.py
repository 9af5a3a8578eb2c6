"""The browser tests' chromium; their registry, Prefect server (with its UI) and site are support.flow_services'."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"  # Debian's package (scripts/test.sh installs it); no browser is downloaded
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium driven by Playwright; a missing /usr/bin/chromium fails the test, naming the package.

    One per module, closed at its end: Playwright's sync API keeps an event loop running on the main thread
    while it is open, and Prefect's sync calls in the tests after it (on the same worker) returned coroutines.
    """
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
