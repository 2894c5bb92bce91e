"""One registry per plugin kind (summarizers, metrics, checks, dataset loaders).

An entry ties a name to its spec class (pydantic), a lazy factory ("module:attr",
imported only when something is built, so torch and spaCy load only for the parts a
config uses), the extra it needs and a one-line description. Everything else derives
from the registries: config validation (the tagged union of summarizer and dataset
specs, the `metrics:` and `checks:` sections), building, and `summcheck list`.

A kind's registry and its spec classes live in one file (summarizers/registry.py,
metrics/registry.py, consistency/registry.py, data/registry.py): adding a type is one
decorated spec class there, plus the module that implements it.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import (Annotated, Any, Callable, ClassVar, Iterator, Mapping, Optional, Union,
                    get_args)

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from .errors import ConfigError


def not_a_boolean(value: Any) -> Any:
    """Refuse true/false where a number is due. Pydantic's lax mode reads a bool as 1 or
    0, so `limit: true` ran one example and `seed: false` seed 0, silently; YAML reads a
    bare yes, no, on and off as booleans too."""
    if isinstance(value, bool):
        raise ValueError(f"a number is needed here, not {str(value).lower()} (YAML reads "
                         "true, false, yes, no, on and off as a boolean)")
    return value


# The number types of every spec field: `int` or `float` alone would take a boolean
# (tests/test_config_bounds.py walks every spec for a bare one).
Int = Annotated[int, BeforeValidator(not_a_boolean)]
Float = Annotated[float, BeforeValidator(not_a_boolean)]


class Spec(BaseModel):
    """Base of every spec: unknown keys are errors, and a validated spec is frozen.

    `unhashed_fields` names the fields that move no number (left out of spec_hash);
    `path_fields` the fields holding paths, resolved against the config file's folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    unhashed_fields: ClassVar[tuple[str, ...]] = ()
    path_fields: ClassVar[tuple[str, ...]] = ()

    def metric_names(self) -> tuple[str, ...] | None:
        """The names of the values the metric or check this spec builds gives a summary,
        when they are known before a run (`regress.max_drop` is checked against them on
        load); None when they are not (a plugin that does not say)."""
        return None


@dataclass(frozen=True)
class Entry:
    """One registered type.

    `variants`: (what, extra) rows for `summcheck list` when parts of one type need
    different extras (support's lexical and embedding methods). `on_by_default` (metrics
    and checks): on when the config leaves the section's key out. `hash_when_off`: a
    disabled entry still counts in spec_hash; new entries leave it False, so adding one
    keeps every existing config's hash. `hooks`: other lazy callables by role (a
    loader's "check")."""

    name: str
    spec: type[BaseModel]
    factory: str
    description: str
    extra: str | None = None
    variants: tuple[tuple[str, str | None], ...] = ()
    on_by_default: bool = False
    hash_when_off: bool = False
    hooks: Mapping[str, str] = field(default_factory=dict)

    def parts(self) -> list[tuple[str, str | None]]:
        """(what, extra) rows for `summcheck list`: the entry, or each of its variants."""
        if not self.variants:
            return [(self.name, self.extra)]
        return [(f"{self.name} ({what})", extra) for what, extra in self.variants]


class Registry:
    """Name -> Entry for one plugin kind, in registration order (the order things are
    built and listed in). `tag` is the spec field naming the type (`type`, `source`) for
    kinds configured as a list or a choice; None for sections keyed by name."""

    def __init__(self, kind: str, *, tag: str | None = None):
        self.kind, self.tag = kind, tag
        self._entries: dict[str, Entry] = {}
        self._sealed = False

    def register(self, factory: str, description: str, *, name: str | None = None,
                 **options: Any) -> Callable[[type[BaseModel]], type[BaseModel]]:
        """Class decorator adding a spec class as an entry; a tagged kind reads the
        name from the class's `Literal` tag field."""
        def add(spec: type[BaseModel]) -> type[BaseModel]:
            entry_name = name or self._tag_value(spec)
            if self._sealed:
                raise RuntimeError(f"{self.kind} '{entry_name}' registered after the config "
                                   "schema was built: register before importing summcheck.config")
            if entry_name in self._entries:
                raise ValueError(f"{self.kind} '{entry_name}' is registered twice")
            self._entries[entry_name] = Entry(entry_name, spec, factory, description, **options)
            return spec
        return add

    def _tag_value(self, spec: type[BaseModel]) -> str:
        if self.tag is None:
            raise ValueError(f"a {self.kind} needs a name: register(..., name=...)")
        (value,) = get_args(spec.model_fields[self.tag].annotation)
        return value

    def __iter__(self) -> Iterator[Entry]:
        return iter(list(self._entries.values()))

    def names(self) -> list[str]:
        return list(self._entries)

    def get(self, name: str) -> Entry:
        """The entry, or a ConfigError naming the closest name and every valid one."""
        try:
            return self._entries[name]
        except KeyError:
            raise ConfigError(f"unknown {self.kind} '{name}'.{did_you_mean(name, self.names())}"
                              f" Choose one of: {', '.join(self.names())}.") from None

    def load(self, name: str, role: str = "factory") -> Callable | None:
        """The entry's factory (or hook `role`, None when it has none), imported now."""
        entry = self.get(name)
        target = entry.factory if role == "factory" else entry.hooks.get(role)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def union(self) -> Any:
        """The spec type of a tagged kind: a union discriminated by the tag field."""
        self._sealed = True
        specs = tuple(entry.spec for entry in self)
        return Annotated[Union[specs], Field(discriminator=self.tag)]

    def section(self, model_name: str, doc: str, *, module: str) -> type[BaseModel]:
        """The spec of a section keyed by name (`metrics:`, `checks:`): one optional field
        per entry, on (default settings) or off (null) when the config leaves it out."""
        self._sealed = True
        fields: dict[str, Any] = {
            e.name: (Optional[e.spec], e.spec() if e.on_by_default else None) for e in self}
        return create_model(model_name, __base__=Spec, __doc__=doc, __module__=module,
                            **fields)

def did_you_mean(word: str, choices: list[str] | set[str]) -> str:
    """' Did you mean 'x'?' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""
