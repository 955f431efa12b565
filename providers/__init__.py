"""Provider plugins for litellm; `gemini_web` first.

The one place that sets `LITELLM_LOCAL_MODEL_COST_MAP`: importing litellm otherwise fetches its
model cost map from the network. The proxy and the tests import this package first.
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
