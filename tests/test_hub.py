"""No network, no wait: the hub is asked once, and a model it cannot give fails at once."""

from __future__ import annotations

import socket

import pytest

from summcheck import hub


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """Offline mode set by a test is undone after it: the environment and the flags of
    the hub libraries already imported."""
    import sys

    hub._reachable.cache_clear()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    for module, flag in (("huggingface_hub.constants", "HF_HUB_OFFLINE"),
                         ("datasets.config", "HF_HUB_OFFLINE"),
                         ("transformers.utils.hub", "_is_offline_mode")):
        if module in sys.modules and hasattr(sys.modules[module], flag):
            monkeypatch.setattr(sys.modules[module], flag, getattr(sys.modules[module], flag))
    yield
    hub._reachable.cache_clear()


def refuse(*args, **kwargs):
    raise OSError("network is unreachable")


def test_an_unreachable_hub_turns_offline_mode_on_once(monkeypatch):
    calls = []
    monkeypatch.setattr(socket, "create_connection",
                        lambda *a, **k: calls.append(a) or refuse())
    assert hub.offline() and hub.offline()
    assert len(calls) == 1
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_hf_hub_offline_is_honoured_without_touching_the_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("network"))
    assert hub.offline()


def test_a_reachable_hub_stays_online(monkeypatch):
    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: Connection())
    assert not hub.offline()


def test_an_uncached_hub_model_fails_at_once_when_offline(monkeypatch, tmp_path):
    pytest.importorskip("huggingface_hub")
    import huggingface_hub.constants

    from summcheck.config import HFSeq2SeqSpec
    from summcheck.errors import SummcheckError
    from summcheck.summarizers.hf_seq2seq import HFSeq2SeqSummarizer

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(socket, "create_connection", refuse)
    summarizer = HFSeq2SeqSummarizer(
        HFSeq2SeqSpec(type="hf-seq2seq", model="org/never-downloaded"), max_bullets=3)
    with pytest.raises(SummcheckError, match="hub is not reachable.*not in the local hub cache"):
        summarizer.preflight()   # from the cache check, before any request is retried


def test_a_hub_dataset_fails_at_once_when_the_hub_does_not_answer(monkeypatch, tmp_path):
    pytest.importorskip("datasets")
    from summcheck.config import HFDataset
    from summcheck.data import load_examples
    from summcheck.errors import DataError

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "ds"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(socket, "create_connection", refuse)
    spec = HFDataset(source="hf", path="someone/never-downloaded", split="test")
    with pytest.raises(DataError, match="hub is not reachable"):
        load_examples(spec)
