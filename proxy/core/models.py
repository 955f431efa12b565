"""The public models this app serves: which exist, which draw images, and the default ones."""

from proxy.core.catalogue import image_variant
from proxy.core.config import Settings
from proxy.core.errors import BadRequest


class ModelCatalog:
    """Public model ids as configured (`model_list`), checked once per request before routing.

    `routable` is what the Router really serves (its model group names); a configured id that
    it does not know fails loudly with the list of what it does know.
    """

    def __init__(self, settings: Settings, routable: frozenset[str]) -> None:
        self.default = settings.default_model
        self.default_image = settings.images.default_model
        self.routable = routable
        self.image_models = settings.image_models

    def resolve(self, requested: str | None) -> str:
        """The public model a request names (or the default), or a 400 naming the choices."""
        model = requested or self.default
        if model not in self.routable:
            choices = ", ".join(sorted(self.routable))
            raise BadRequest(f"Unknown model '{model}'. Available models: {choices}")
        return model

    def resolve_image(self, requested: str | None, prompt: str, size: str | None) -> str:
        """An explicit model; else the variant the prompt's or size's words ask for; else the
        default image model."""
        if requested:
            return self.resolve(requested)
        variant = image_variant(prompt, size)
        if variant and variant in self.routable:
            return variant
        return self.resolve(self.default_image)

    def draws_images(self, model: str) -> bool:
        return model in self.image_models
