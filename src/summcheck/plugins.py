"""Plugins that follow a kind's contract without inheriting its base class.

Each plugin kind has one base class that declares its whole contract: the required
methods abstract, every optional capability with a default that does the "not supported"
thing (summarizers/base.Summarizer, metrics/base.Metric, consistency/base.Check). The
built-in plugins inherit them, and the code that drives plugins calls every capability
directly, never asking whether a plugin has it.

An object written against the contract before the base classes existed (a summarizer or
metric passed to the Python API, a test's stand-in) may lack the optional methods. The
entry points that take plugins from outside pass them through `adopt`, the one place that
looks at which methods a plugin has: it answers each name from the plugin when the plugin
has it, else from the base class's default.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

Base = TypeVar("Base")


def adopt(plugin: Any, base: type[Base]) -> Base:
    """`plugin` itself when it inherits `base`; otherwise a stand-in that is an instance of
    `base` and answers each public name from `plugin` first, then from `base`'s defaults.
    A plugin that lacks a required (abstract) method is refused here, by name."""
    if isinstance(plugin, base):
        return plugin
    lacking = sorted(name for name in getattr(base, "__abstractmethods__", ())
                     if not hasattr(plugin, name))
    if lacking:
        raise TypeError(f"{type(plugin).__name__} is not a {base.__name__}: it has no "
                        f"{', '.join(lacking)}")
    return _adopter(base)(plugin)


def overrides(plugin: Any, base: type, name: str) -> bool:
    """Whether `plugin`'s method `name` is its own rather than `base`'s default (for a
    caller that would pay to prepare a call the default ignores)."""
    method = getattr(plugin, name)
    return getattr(method, "__func__", method) is not getattr(base, name)


@cache
def _adopter(base: type) -> type:
    """The stand-in class for `base`: the plugin's public attributes first (read and
    written through), `base`'s defaults for the names the plugin lacks."""

    class Adopted(base):   # type: ignore[misc, valid-type]
        def __init__(self, plugin: Any):
            object.__setattr__(self, "_plugin", plugin)

        def __getattribute__(self, name: str) -> Any:
            if not name.startswith("_"):
                try:
                    return getattr(object.__getattribute__(self, "_plugin"), name)
                except AttributeError:
                    pass
            return object.__getattribute__(self, name)

        def __setattr__(self, name: str, value: Any) -> None:
            setattr(object.__getattribute__(self, "_plugin"), name, value)

    Adopted.__abstractmethods__ = frozenset()   # the plugin has every required method
    Adopted.__name__ = Adopted.__qualname__ = f"Adopted{base.__name__}"
    return Adopted
