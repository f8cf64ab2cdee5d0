"""The local fake WeCom and an app API client talking to it over HTTP, for the adapter's contract tests; a test
module sets the fake's settings with a module-level FAKE_WECOM dict (its members, a robot limit)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.wecom.api import WeComApi
from sandbox.wecom import AGENT_ID, APP_SECRET, CORP_ID, FakeWeCom


@pytest.fixture
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeWeCom]:
    server = FakeWeCom(**getattr(request.module, "FAKE_WECOM", {}))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def api(fake: FakeWeCom) -> AsyncIterator[WeComApi]:
    client = WeComApi(
        aiohttp.ClientSession(), base_url=fake.base_url, corp_id=CORP_ID, secret=APP_SECRET, agent_id=AGENT_ID
    )
    yield client
    await client.close()
