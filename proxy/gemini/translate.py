"""Gemini-native requests -> what the services take (pure functions).

A `generateContent` request becomes a `ChatCall` (OpenAI-format messages, the same allow-list
as the OpenAI route) or, for image models, an image order's prompt and reference bytes:

* every `systemInstruction` part counts; thought parts of earlier model turns are not sent back;
  role `function` (older clients) counts as `user`;
* `inlineData` becomes a data URL (chat) or stays bytes (images); `fileData` an `image_url`
  with its URL, which the provider fetches;
* `functionCall` parts of model turns become assistant tool calls, `functionResponse` parts tool
  messages, linked by the function's name;
* `responseMimeType: application/json` adds an instruction to answer with JSON only (matching
  `responseJsonSchema`, or `responseSchema` read as JSON Schema), checked as OpenAI's is;
* `toolConfig.functionCallingConfig`: AUTO/VALIDATED -> auto, ANY -> required (one allowed
  function: that function; several: only those are offered), NONE -> none.
"""

import base64
import json
from typing import Any

from litellm.litellm_core_utils.json_validation_rule import normalize_tool_schema

from proxy.chat.call import ChatCall, ChatOptions, wants_extended_thinking
from proxy.chat.legacy import call_id
from proxy.core.errors import BadRequest
from proxy.gemini.schema import Content, GenerateContentRequest


def _user_messages(content: Content) -> list[dict[str, Any]]:
    """Tool results first (they answer the previous turn), then what the user says."""
    results: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for part in content.parts:
        if part.thought:
            continue
        if part.text is not None:
            items.append({"type": "text", "text": part.text})
        elif part.inline_data is not None:
            data = base64.b64encode(part.inline_data.data).decode()
            url = f"data:{part.inline_data.mime_type};base64,{data}"
            items.append({"type": "image_url", "image_url": {"url": url}})
        elif part.file_data is not None:
            items.append({"type": "image_url", "image_url": {"url": part.file_data.file_uri}})
        elif part.function_response is not None:
            response = part.function_response
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id(response.name),
                    "content": json.dumps(response.response, ensure_ascii=False),
                }
            )
    if len(items) == 1 and items[0]["type"] == "text":
        return [*results, {"role": "user", "content": items[0]["text"]}]
    return [*results, {"role": "user", "content": items}] if items else results


def _model_message(content: Content) -> dict[str, Any]:
    text = "".join(p.text for p in content.parts if p.text is not None and not p.thought)
    calls = [
        {
            "id": call_id(p.function_call.name),
            "type": "function",
            "function": {
                "name": p.function_call.name,
                "arguments": json.dumps(p.function_call.args, ensure_ascii=False),
            },
        }
        for p in content.parts
        if p.function_call is not None
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tool_choice(request: GenerateContentRequest) -> tuple[Any, set[str] | None]:
    """OpenAI `tool_choice`, and the only functions to offer (None: all)."""
    config = request.tool_config.function_calling_config
    if config.mode == "NONE":
        return "none", None
    if config.mode != "ANY":
        return "auto", None
    allowed = config.allowed_function_names or []
    if len(allowed) == 1:
        return {"type": "function", "function": {"name": allowed[0]}}, None
    return "required", set(allowed) or None


def _tools(request: GenerateContentRequest, offered: set[str] | None) -> list[dict[str, Any]]:
    tools = []
    for declaration in request.functions:
        if offered is not None and declaration.name not in offered:
            continue
        function: dict[str, Any] = {"name": declaration.name}
        if declaration.description:
            function["description"] = declaration.description
        parameters = declaration.parameters_json_schema or declaration.parameters
        if parameters is not None:
            function["parameters"] = parameters
        tools.append(normalize_tool_schema({"type": "function", "function": function}))
    return tools


def chat_call(request: GenerateContentRequest, model: str) -> ChatCall:
    """The chat call that asks what `request` asks of the public `model`."""
    messages: list[dict[str, Any]] = []
    system = request.system_instruction
    instruction = "\n\n".join(p.text for p in system.parts if p.text) if system else ""
    if instruction:
        messages.append({"role": "system", "content": instruction})
    for content in request.contents:
        if content.role == "model":
            messages.append(_model_message(content))
        else:
            messages.extend(_user_messages(content))
    config = request.generation_config
    answer = config.answer
    if answer is not None:
        messages.append(answer.instruction())
    choice, offered = _tool_choice(request)
    tools = _tools(request, offered)
    stop = config.stop_sequences
    return ChatCall(
        messages=messages,
        model=model,
        options=ChatOptions(
            temperature=config.temperature,
            top_p=config.top_p,
            max_tokens=config.max_output_tokens,
            stop=stop or None,
        ),
        tools=tools,
        tool_choice=choice if tools else None,
        include_usage=True,
        json_answer=answer,
        extended_thinking=wants_extended_thinking(config.thinking_config.effort),
    )


def image_prompt(request: GenerateContentRequest) -> tuple[str, list[bytes]]:
    """What an image model is asked: the last content's text and its inline images."""
    texts: list[str] = []
    images: list[bytes] = []
    for part in request.contents[-1].parts:
        if part.thought:
            continue
        if part.text is not None and part.text.strip():
            texts.append(part.text)
        elif part.inline_data is not None:
            images.append(part.inline_data.data)
        elif part.file_data is not None:
            raise BadRequest("reference images for image models must be inlineData")
    return "\n".join(texts), images
