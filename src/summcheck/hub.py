"""The Hugging Face hub, asked about once: reachable, or offline for the whole process.

Without network, huggingface_hub retries each request with backoff (about 25 s before a
clear error). One TCP connection attempt to the hub with a short timeout tells whether it
is reachable; when it is not, HF_HUB_OFFLINE is turned on for this process, so every
later hub call answers at once from the local cache or fails saying it is offline.
HF_HUB_OFFLINE set by the user is honoured as it is.
"""

from __future__ import annotations

import os
import socket
import sys
from functools import lru_cache
from urllib.parse import urlparse

TIMEOUT_SECONDS = 3.0


def offline() -> bool:
    """True when hub calls must not touch the network (the user said so, or the hub did
    not answer); sets HF_HUB_OFFLINE for this process in the second case."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    if _reachable():
        return False
    _go_offline()
    return True


@lru_cache(maxsize=1)
def _reachable() -> bool:
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=TIMEOUT_SECONDS):
            return True
    except OSError:
        return False


def _go_offline() -> None:
    """HF_HUB_OFFLINE for this process: the environment for libraries not imported yet,
    and the constants of those already imported (they read it once, at import)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
    config = sys.modules.get("datasets.config")
    if config is not None:
        config.HF_HUB_OFFLINE = True
    transformers_hub = sys.modules.get("transformers.utils.hub")
    if transformers_hub is not None and hasattr(transformers_hub, "_is_offline_mode"):
        transformers_hub._is_offline_mode = True
