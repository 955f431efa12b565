"""The shipped config.yaml, generated from the settings models: every key, its default, and
the field's description as a one-line comment. Examples (`Field(examples=...)`) follow their
key, commented out.

    python -m proxy.core.config_docs > config.yaml
"""

import enum
import sys
from collections.abc import Iterator
from typing import Any

import yaml
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from proxy.core.config import Settings, model_of

HEADER = """\
# gemini-proxy configuration, generated from the settings models by
# `python -m proxy.core.config_docs > config.yaml`: every key with its default.
# LiteLLM's sections (model_list, router_settings, litellm_settings) mean what they mean in
# LiteLLM; the others are ours. Any value may be a reference to an environment variable,
# os.environ/NAME: keep secrets (cookies, keys) there rather than in this file.
"""

_WIDTH = 120  # wide enough that no model_list string is folded


def render(settings: BaseModel | None = None) -> str:
    """config.yaml for `settings` (default: the built-in defaults)."""
    values = _plain(settings if settings is not None else Settings())
    return HEADER + "\n" + "\n".join(_fields(Settings, values, indent=0)) + "\n"


def models_in(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """`model` and every settings model nested in its fields, each once."""
    seen: set[type[BaseModel]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        for field in current.model_fields.values():
            nested = model_of(field.annotation)
            if nested is not None:
                pending.append(nested)


def _fields(
    model: type[BaseModel], values: dict[str, Any], indent: int, trailing: bool = False
) -> list[str]:
    """Lines for `values` as keys of `model`, each with its field's description: a comment
    line above it, or (`trailing`, inside a commented-out example) at the end of its line."""
    pad = " " * indent
    lines: list[str] = []
    for name, field in model.model_fields.items():
        if name not in values:
            continue
        if indent == 0 and lines:
            lines.append("")  # a blank line between top-level sections
        if trailing:
            first, *rest = _value(name, field, values[name], indent, trailing)
            lines += [f"{first}  # {_one_line(field)}", *rest]
            continue
        lines.append(f"{pad}# {_one_line(field)}")
        lines += _value(name, field, values[name], indent)
        for example in field.examples or []:
            lines.append(f"{pad}# e.g.")
            example_lines = _value(name, field, example, indent, trailing=True)
            lines += [f"{pad}# {line[indent:]}" for line in example_lines]
    for name, value in values.items():  # a model's extra keys (storage options)
        if name not in model.model_fields:
            lines += _leaf(name, value, indent)
    return lines


def _value(
    name: str, field: FieldInfo, value: Any, indent: int, trailing: bool = False
) -> list[str]:
    model = model_of(field.annotation)
    pad = " " * indent
    if model is not None and isinstance(value, dict) and value:
        return [f"{pad}{name}:", *_fields(model, value, indent + 2, trailing)]
    if model is not None and isinstance(value, list) and value:
        # The first item carries the descriptions; the rest follow compactly.
        items = [_fields(model, value[0], indent + 4, trailing)]
        items += [_block(item, indent + 4) for item in value[1:]]
        return [f"{pad}{name}:", *(line for item in items for line in _dashed(item, indent + 2))]
    return _leaf(name, value, indent)


def _dashed(lines: list[str], indent: int) -> list[str]:
    """An item's lines as one YAML list entry: `- ` before its first key."""
    first = next(i for i, line in enumerate(lines) if not line.lstrip().startswith("#"))
    pad = " " * indent
    return [*lines[:first], f"{pad}- {lines[first].lstrip()}", *lines[first + 1 :]]


def _leaf(name: str, value: Any, indent: int) -> list[str]:
    if isinstance(value, list | dict) and value:
        return _block({name: value}, indent)
    # A lone scalar (or empty collection) as flow YAML; PyYAML ends a scalar document with "...".
    text = yaml.safe_dump(value, default_flow_style=True, width=_WIDTH, allow_unicode=True)
    return [f"{' ' * indent}{name}: {text.removesuffix(chr(10)).removesuffix('...').strip()}"]


def _block(mapping: dict[str, Any], indent: int) -> list[str]:
    """`mapping` as block YAML whose innermost collections are flow (`{a: 1}`, `[1, 2]`)."""
    text = yaml.safe_dump(
        mapping, default_flow_style=None, sort_keys=False, width=_WIDTH, allow_unicode=True
    )
    return [" " * indent + line for line in text.splitlines()]


def _one_line(field: FieldInfo) -> str:
    text = " ".join((field.description or "").split())
    return text[:1].upper() + text[1:]


def _plain(value: Any) -> Any:
    """`value` as YAML-ready data: models as mappings (extras included), sets sorted."""
    if isinstance(value, BaseModel):
        names = [*type(value).model_fields, *(value.model_extra or {})]
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # paths, networks


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
