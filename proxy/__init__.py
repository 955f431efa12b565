import os

# Importing litellm otherwise fetches its model cost map from the network.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
