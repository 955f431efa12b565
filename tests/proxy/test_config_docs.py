"""The shipped config.yaml is generated from the settings models and documents every key."""

from pathlib import Path

import pytest
import yaml

from proxy.core.config import Settings, parse_settings
from proxy.core.config_docs import models_in, render

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_config_is_the_generated_one() -> None:
    shipped = (REPO / "config.yaml").read_text(encoding="utf-8")
    assert shipped == render(), "regenerate: python -m proxy.core.config_docs > config.yaml"


def test_every_settings_key_has_a_description() -> None:
    undocumented = [
        f"{model.__name__}.{name}"
        for model in models_in(Settings)
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert undocumented == []


def test_every_settings_key_appears_with_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_SECURE_1PSID", raising=False)
    raw = yaml.safe_load(render())
    assert parse_settings(raw).model_dump() == Settings().model_dump()
    assert list(raw) == list(Settings.model_fields)
    assert list(raw["limits"]["pacing"]) == list(Settings().limits.pacing.model_dump())


def test_every_example_is_a_valid_value() -> None:
    examples = [
        (model, name, example)
        for model in models_in(Settings)
        for name, field in model.model_fields.items()
        for example in field.examples or []
    ]
    assert len(examples) >= 5
    for model, name, example in examples:
        model.model_validate({name: example})


def test_examples_hold_secrets_as_environment_references() -> None:
    text = render()
    assert "# accounts:\n#   - name: main" in text
    for secret in ("secure_1psid", "secure_1psidts", "api_keys", "secret_access_key"):
        lines = [line for line in text.splitlines() if f"{secret}:" in line]
        assert lines and all("os.environ/" in line or ": []" in line for line in lines), secret
