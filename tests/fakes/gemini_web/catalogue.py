"""The account an init discovers: model catalogue, account status, and the other init RPC bodies.

`gemini_webapi` derives every model name from what `otAQ7b` publishes: `model_name` is
`"gemini-" + slug(category)`, and the aliases add the id, the category, the display name and
`gemini-<major>-<category>`. `DEFAULT_CATALOGUE` publishes what real accounts publish; with it,
`GeminiClient.list_models()` yields (checked by tests/fakes/test_serving.py):

- `gemini-flash`: id `fbb127bbb056c959`, display `3 Flash`, model_number 1; aliases
  `3 flash`, `3-flash`, `fbb127bbb056c959`, `flash`, `gemini-3-flash`, `gemini-flash`
- `gemini-pro`: id `9d8ca3786ebdfbea`, display `3 Pro`, model_number 3; aliases
  `3 pro`, `3-pro`, `9d8ca3786ebdfbea`, `gemini-3-pro`, `gemini-pro`, `pro`
- `gemini-flash-lite`: id `cf41b0e0dd7d53e5`, display `3 Flash-Lite`, model_number 6; aliases
  `3 flash-lite`, `3-flash-lite`, `cf41b0e0dd7d53e5`, `flash-lite`, `gemini-3-flash-lite`,
  `gemini-flash-lite`

The client's version-agnostic fallback also resolves e.g. `gemini-2.5-flash` and
`gemini-2.5-flash-lite`, but not `gemini-3-flash-preview` (ValueError): public ids need the
proxy's own mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FakeModel:
    """One entry of otAQ7b `[15]`.

    `category` is `m[1]` (drives `model_name`), `display_name` is `m[11]`, `description` is
    `m[12]`, `model_number` is `m[17]` (echoed by the client in the request at inner[79]).
    """

    model_id: str
    category: str
    display_name: str
    description: str = ""
    model_number: int = 1

    def to_rpc(self) -> list[Any]:
        entry: list[Any] = [None] * 20
        entry[0] = self.model_id
        entry[1] = self.category
        entry[2] = self.description
        entry[11] = self.display_name
        entry[12] = self.description
        entry[17] = self.model_number
        return entry


@dataclass(frozen=True)
class Catalogue:
    """What `otAQ7b` answers: the models, the account status code (`[14]`) and tier flags.

    `status` 1000 is AVAILABLE; 1016 is UNAUTHENTICATED (guest: only the first model usable);
    1014, 1021, 1054, 1057 and 1060 hide the model list from the client. `tier_flags` (`[16]`)
    and `capability_flags` (`[17]`) change the capacity the client puts in its model header.
    The first model answers requests that name no model.
    """

    models: tuple[FakeModel, ...]
    status: int = 1000
    tier_flags: tuple[int, ...] = ()
    capability_flags: tuple[int, ...] = ()

    def user_status_body(self) -> list[Any]:
        body: list[Any] = [None] * 18
        body[14] = self.status
        body[15] = [model.to_rpc() for model in self.models]
        body[16] = list(self.tier_flags)
        body[17] = list(self.capability_flags)
        return body

    def find(self, model_id: str | None) -> FakeModel | None:
        """The model a request's header names, the default (first) one if it names none."""
        if model_id is None:
            return self.models[0] if self.models else None
        return next((m for m in self.models if m.model_id == model_id), None)


FLASH = FakeModel("fbb127bbb056c959", "Flash", "3 Flash", "Fast all-round help", 1)
PRO = FakeModel("9d8ca3786ebdfbea", "Pro", "3 Pro", "Thinks longer for advanced math & code", 3)
FLASH_LITE = FakeModel("cf41b0e0dd7d53e5", "Flash-Lite", "3 Flash-Lite", "Quick everyday help", 6)
DEFAULT_CATALOGUE = Catalogue(models=(FLASH, PRO, FLASH_LITE))

# Bodies of the other init RPCs, as the client accepted them (spec 3.3); only their shape matters.
# Fixed timestamps (2026-01-01) keep the client's quota log lines deterministic.
DEFAULT_RPC_BODIES: dict[str, Any] = {
    "ESY5D": [[]],
    "MaZiqc": [None, None, [["c_old1", "Earlier chat", False, None, None, [1767225000, 0]]]],
    "jSf9Qc": [1, [[80, 0.2, 1, [[1767240000]]], [400, 0.1, 2, [[1767800000]]]], False],
    "qpEbW": [[[[1, 11], None, 10, [1767240000], 100, 90]]],
    "aPya6c": [False, 0.1, [1767240000]],
    "GPRiHf": [None, None],
}
