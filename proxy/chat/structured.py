"""Structured output: JSON answers asked for in the prompt and checked after.

Gemini web has no JSON mode, so a JSON request (OpenAI's `response_format`, Gemini's
`responseMimeType`) becomes an instruction at the end of the conversation. A complete answer
is then read as JSON (a Markdown code fence around it is dropped) and checked against the
schema; when it fails, the model is told why and asked once to correct it. What the client
gets is the JSON text alone.

jsonschema (~2 MB, ~50 ms) is imported by the first schema checked, not with this module.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

JSON_ONLY = "Answer with valid JSON only: no prose before or after it and no Markdown code fences."

_FENCE = re.compile(r"^\s*```[\w-]*\s*\n(?P<body>.*?)\n?\s*```\s*$", re.S)


def json_instruction(schema: dict[str, Any] | None) -> str:
    if schema is None:
        return JSON_ONLY
    return f"{JSON_ONLY} It must match this JSON Schema: {json.dumps(schema, ensure_ascii=False)}"


@dataclass(frozen=True)
class JsonAnswer:
    """The JSON a reply must be: one valid for `schema`, else any JSON object (`object_only`,
    OpenAI's `json_object`) or any JSON value (Gemini's JSON mime type)."""

    schema: dict[str, Any] | None = None
    object_only: bool = True

    def instruction(self) -> dict[str, Any]:
        return {"role": "system", "content": json_instruction(self.schema)}

    def read(self, text: str) -> tuple[str, str | None]:
        """(the JSON alone, None) for a good reply; (the text, why it is wrong) otherwise."""
        fenced = _FENCE.match(text)
        body = (fenced["body"] if fenced else text).strip()
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            return text, f"it is not valid JSON ({exc.msg} at line {exc.lineno})"
        if self.schema is None:
            if self.object_only and not isinstance(value, dict):
                return text, "it must be a JSON object"
            return body, None
        import jsonschema

        error = jsonschema.exceptions.best_match(
            jsonschema.validators.validator_for(self.schema)(self.schema).iter_errors(value)
        )
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "the top level"
            return text, f"it does not match the schema at {where}: {error.message}"
        return body, None

    def correction(self, reply: str, problem: str) -> list[dict[str, Any]]:
        """The turns that ask for a corrected reply."""
        return [
            {"role": "assistant", "content": reply},
            {
                "role": "user",
                "content": f"Your last answer cannot be used: {problem}. "
                f"{json_instruction(self.schema)}",
            },
        ]


_OPENAPI_ONLY = frozenset({"nullable", "propertyOrdering", "example"})


def from_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Gemini's `responseSchema` (an OpenAPI 3.0 subset: upper-case types, `nullable`) as the
    JSON Schema it means."""
    converted: dict[str, Any] = {}
    for name, value in schema.items():
        key = to_camel(name) if "_" in name else name  # the REST API takes snake_case too
        if key in _OPENAPI_ONLY:
            continue
        if key == "type" and isinstance(value, str):
            if value.upper() != "TYPE_UNSPECIFIED":
                converted["type"] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            converted[key] = {name: from_openapi(inner) for name, inner in value.items()}
        elif key == "items" and isinstance(value, dict):
            converted[key] = from_openapi(value)
        elif key == "anyOf" and isinstance(value, list):
            converted[key] = [from_openapi(inner) for inner in value]
        else:
            converted[key] = value
    if schema.get("nullable") is True:
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if isinstance(converted.get("enum"), list):
            converted["enum"] = [*converted["enum"], None]
    return converted


def check_schema(schema: dict[str, Any]) -> str | None:
    """Why `schema` is not a usable JSON Schema, or None."""
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        return str(exc.message)
    return None
