import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

pytest_plugins = ["tests.fakes.pytest_plugin", "tests.databases", "tests.s3"]
