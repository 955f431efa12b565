"""Token figures: Gemini web reports none, and clients expect a usage block, so they are an
estimate (about four characters a token) of the prompt as sent and the reply as received."""

import math
from collections.abc import Mapping
from typing import Any

from litellm.types.utils import Usage

from .prompt import build_prompt
from .tools import ToolSpec


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def usage(prompt: str, completion: str) -> Usage:
    p, c = estimate_tokens(prompt), estimate_tokens(completion)
    return Usage(prompt_tokens=p, completion_tokens=c, total_tokens=p + c)


def prompt_tokens(messages: list[dict[str, Any]], params: Mapping[str, Any]) -> int:
    """The estimate the usage block of a reply to these messages (and tools) starts from.
    Raises `ValueError` for messages or tools that cannot be sent."""
    return estimate_tokens(build_prompt(messages, ToolSpec.from_params(params)).text)
