"""Path parameters shared by routes of several dialects."""

from starlette.convertors import Convertor, register_url_convertor


class _ModelName(Convertor[str]):
    """A model name without an action: `.../models/x:foo` is no lookup of a model `x:foo`, so
    an unknown action stays a 404 instead of a 405 of the lookup route."""

    regex = "[^/:]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("model_name", _ModelName())

MODEL = "{model:model_name}"
"""The `model` path parameter of a model lookup: `f"/v1/models/{MODEL}"`."""
