import base64

import pytest

from providers.gemini_web.prompt import PromptError, build_prompt, decode_data_url

PNG_1PX = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def test_lone_user_message_is_sent_verbatim() -> None:
    prompt = build_prompt([{"role": "user", "content": "What is 2+2?"}])
    assert prompt.text == "What is 2+2?"
    assert prompt.attachments == []


def test_conversation_is_flattened_with_system_history_and_last_turn() -> None:
    prompt = build_prompt(
        [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": [{"type": "text", "text": "How are you?"}]},
        ]
    )
    assert prompt.text == (
        "System instructions:\nAnswer in French.\n\n"
        "Conversation so far:\nUser: Hi\nAssistant: Bonjour\n\n"
        "Reply to the last user message:\nHow are you?"
    )


def test_images_become_attachments_in_order() -> None:
    prompt = build_prompt(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Compare"},
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/jpeg;base64,{PNG_1PX}"},
                    },
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp?x=1"}},
                ],
            }
        ]
    )
    first, second = prompt.attachments
    assert (first.mime_type, first.suffix, first.data) == (
        "image/jpeg",
        ".jpg",
        base64.b64decode(PNG_1PX),
    )
    assert (second.mime_type, second.url) == ("image/webp", "https://example.com/cat.webp?x=1")


def test_image_without_text_asks_for_a_description() -> None:
    prompt = build_prompt(
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": PNG_1PX}}]}]
    )
    assert prompt.text == "Describe the attached image."
    assert prompt.attachments[0].mime_type == "image/png"


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ([{"role": "assistant", "content": "hi"}], "last message must come from the user"),
        ([{"role": "user", "content": "   "}], "empty"),
        ([{"role": "user", "content": [{"type": "audio", "x": 1}]}], "unsupported content part"),
        ([{"role": "wizard", "content": "x"}], "unsupported message role"),
        ([{"role": "user", "content": 42}], "string or a list"),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(messages: list, error: str) -> None:
    with pytest.raises(PromptError, match=error):
        build_prompt(messages)


def test_invalid_base64_is_rejected() -> None:
    with pytest.raises(PromptError, match="base64"):
        decode_data_url("data:image/png;base64,@@not-base64@@")
