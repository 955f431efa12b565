from collections.abc import AsyncIterator

import pytest
from gemini_webapi import GeminiClient

from tests.fakes.clients import new_client
from tests.fakes.gemini_web import FakeGeminiWeb


@pytest.fixture
async def client(fake_gemini: FakeGeminiWeb) -> AsyncIterator[GeminiClient]:
    gemini = await new_client()
    yield gemini
    await gemini.close()
