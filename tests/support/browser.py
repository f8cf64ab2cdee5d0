"""A real browser for the web pages' tests: Playwright driving the system's Chromium (Debian's `chromium`).

Playwright's own browser download is not used. Without a Chromium the browser tests skip with the reason, except
where CI sets LINLI_REQUIRE_BROWSER=1 (.ci/run installs Chromium and requires it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """A headless Chromium (skips, or fails under LINLI_REQUIRE_BROWSER=1, when there is none)."""
    path = chromium_path()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("LINLI_REQUIRE_BROWSER") == "1":
            pytest.fail("LINLI_REQUIRE_BROWSER=1 but no Chromium/Playwright: apt-get install chromium")
        pytest.skip("no Chromium on this machine (apt-get install chromium) — the page's browser test is skipped")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            await launched.close()
