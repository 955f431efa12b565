"""Image generation and editing on Gemini web: ask the chat model to draw, then download.

Images are fetched at full size through the account's live session (the library's own
fallback is the `=s2048-rj` preview); what cannot be downloaded fails with 502. A reply
without an image fails at once with 400 and the model's words, never retried.
"""

import io
import tempfile
from pathlib import Path

from curl_cffi.requests.exceptions import RequestException
from gemini_webapi import GeminiClient
from gemini_webapi.types import GeneratedImage, ModelOutput

from .errors import GeminiWebError

GENERATE = "Generate an image: {prompt}"
EDIT = "Edit the attached image as follows: {prompt}"


def sniff_mime(data: bytes) -> str:
    """The image type, read from its header by Pillow (uploads need the right extension)."""
    from PIL import Image, UnidentifiedImageError  # with the first image, not at start-up

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.get_format_mimetype() or "image/png"
    except (UnidentifiedImageError, OSError):
        return "image/png"


def image_prompt(prompt: str, editing: bool, hint: str | None) -> str:
    """The prompt that makes the chat model draw; `hint` is a deployment's size hint
    (e.g. "4K ultra HD"), unless the client's prompt already names a resolution."""
    text = (EDIT if editing else GENERATE).format(prompt=prompt.strip())
    if hint and hint.lower() not in prompt.lower():
        text = f"{text} ({hint})"
    return text


async def download_images(client: GeminiClient, output: ModelOutput) -> list[bytes]:
    """The generated images of `output`, at full size, as bytes."""
    generated = [i for i in output.images if isinstance(i, GeneratedImage)]
    if not generated:
        said = " ".join(output.text.split())[:200]
        # A client error, not a gateway one: Gemini web answered, with words. Asking again
        # would spend the account's quota on the same refusal, and clients (and our retry
        # policy) retry 5xx but not 4xx. (litellm reports 422 as a 400.)
        raise GeminiWebError(
            422,
            f"Gemini web answered without an image: {said or '(empty reply)'}",
            reason="no_image",
            retryable=False,  # the same prompt mostly gets the same refusal again
        )
    session = client.client
    if session is None:
        raise GeminiWebError(502, "Gemini web session closed before the image download")
    images = []
    with tempfile.TemporaryDirectory(prefix="gemini-proxy-") as folder:
        for index, image in enumerate(generated):
            try:
                saved = await image.save(
                    path=folder, filename=f"image_{index}", client=session, full_size=True
                )
            except RequestException:
                raise GeminiWebError(
                    502, "Could not download the generated image from Gemini web", reason="download"
                ) from None
            images.append(Path(saved).read_bytes())
    return images
