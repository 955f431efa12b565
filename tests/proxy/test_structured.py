"""Reading JSON answers: fences dropped, schema checked, problems said plainly."""

import pytest

from proxy.chat.structured import JsonAnswer, check_schema, from_openapi

CITY = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["name", "population"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "reply",
    [
        '{"name": "Paris", "population": 2}',
        '```json\n{"name": "Paris", "population": 2}\n```',
        '  ```\n{"name": "Paris", "population": 2}\n```  ',
    ],
)
def test_good_replies_come_back_as_the_json_alone(reply: str) -> None:
    assert JsonAnswer(CITY).read(reply) == ('{"name": "Paris", "population": 2}', None)


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Paris, 2 million", "it is not valid JSON"),
        ('Here: ```json\n{"name": "Paris"}\n```', "it is not valid JSON"),
        ('{"name": "Paris"}', "at the top level: 'population' is a required property"),
        ('{"name": "Paris", "population": "2"}', "at population: '2' is not of type 'integer'"),
        ('{"name": "Paris", "population": 2, "x": 1}', "Additional properties"),
    ],
)
def test_bad_replies_are_named(reply: str, problem: str) -> None:
    text, found = JsonAnswer(CITY).read(reply)
    assert text == reply and found is not None and problem in found


def test_json_object_mode_wants_an_object() -> None:
    assert JsonAnswer().read("[1, 2]")[1] == "it must be a JSON object"
    assert JsonAnswer().read('{"a": [1]}') == ('{"a": [1]}', None)
    # Gemini's JSON mode takes any JSON value.
    assert JsonAnswer(object_only=False).read("[1, 2]") == ("[1, 2]", None)


def test_gemini_response_schemas_read_as_json_schema() -> None:
    gemini = {
        "type": "OBJECT",
        "properties": {
            "name": {"type": "STRING", "nullable": True},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "max_items": 2},
        },
        "required": ["name"],
        "propertyOrdering": ["name", "tags"],
    }
    schema = from_openapi(gemini)
    assert schema == {
        "type": "object",
        "properties": {
            "name": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        },
        "required": ["name"],
    }
    assert JsonAnswer(schema).read('{"name": null, "tags": ["a"]}')[1] is None
    size = from_openapi({"type": "STRING", "enum": ["S", "M"], "nullable": True})
    assert size == {"type": ["string", "null"], "enum": ["S", "M", None]}
    assert JsonAnswer(size).read("null")[1] is None
    assert JsonAnswer(schema).read('{"name": "x", "tags": ["a", "b", "c"]}')[1] is not None


def test_the_correction_turns_quote_the_reply_and_say_why() -> None:
    assistant, user = JsonAnswer(CITY).correction("nope", "it is not valid JSON")
    assert assistant == {"role": "assistant", "content": "nope"}
    assert user["content"].startswith("Your last answer cannot be used: it is not valid JSON.")
    assert '"population"' in user["content"]


def test_schemas_are_checked() -> None:
    assert check_schema(CITY) is None
    assert "is not valid under any of the given schemas" in (check_schema({"type": 7}) or "")
