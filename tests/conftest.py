"""Shared pytest fixtures."""

from __future__ import annotations

import errno
import gc
import io
import sys
from contextlib import contextmanager

import pytest


# ---------------------------------------------------------------- tiny transformers models
# Built offline in a temp folder once per test module (see tiny_models.py); skipped when
# the hf extra (torch, transformers) is not installed.
def _tiny(tmp_path_factory, builder_name: str):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import tiny_models

    folder = tmp_path_factory.mktemp(builder_name.removeprefix("build_"))
    return getattr(tiny_models, builder_name)(folder)


@pytest.fixture(scope="module")
def tiny_t5_dir(tmp_path_factory):
    return _tiny(tmp_path_factory, "build_tiny_t5")


@pytest.fixture(scope="module")
def tiny_bart_dir(tmp_path_factory):
    return _tiny(tmp_path_factory, "build_tiny_bart")


@pytest.fixture(scope="module")
def tiny_causal_dir(tmp_path_factory):
    return _tiny(tmp_path_factory, "build_tiny_causal")


@pytest.fixture(scope="module")
def tiny_chat_causal_dir(tmp_path_factory):
    return _tiny(tmp_path_factory, "build_tiny_chat_causal")


@contextmanager
def _collector_off():
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
def collector_off():
    """A context manager with the garbage collector off: what is freed inside it was freed
    by reference counting alone (no reference cycle)."""
    return _collector_off


class _FullStdout(io.TextIOBase):
    """Standard output on a full disk (`> /dev/full`): every write fails with ENOSPC."""

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_stdout(monkeypatch):
    """A call that replaces sys.stdout with a writer failing as a full disk does. Call it
    in the test, just before the app (in process: CliRunner puts its own stdout in
    place), since pytest's capture sets sys.stdout again between setup and the test."""
    return lambda: monkeypatch.setattr(sys, "stdout", _FullStdout())
