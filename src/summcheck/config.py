"""Run specs: written by the user in YAML, validated on load, frozen afterwards.

Validation errors name the file, the YAML line, the field and the fix.
Relative paths inside a config are resolved against the config file's folder.
"""

from __future__ import annotations

import difflib
import glob
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from .consistency.registry import (CHECKS, ENTITY_LABELS, EntitiesCheckSpec,  # noqa: F401
                                   NumbersCheckSpec, RelationsCheckSpec, SupportSpec)
from .data.registry import (LOADERS, BundledDataset, FieldMap, HFDataset,  # noqa: F401
                            NewsPagesDataset, _DatasetBase)
from .errors import ConfigError
from .metric_kinds import (closest_metric, count_that_cannot_be_gated,
                           drop_that_cannot_fail)
from .metrics.registry import METRICS, ROUGE_TYPES, CoverageSpec, RougeSpec  # noqa: F401
from .registry import Float, Int
from .registry import Spec as _Spec
from .registry import did_you_mean as _did_you_mean
from .summarizers.registry import (SUMMARIZERS, EmbeddingSpec, Gemma270mSpec,  # noqa: F401
                                   HFCausalSpec, HFSeq2SeqSpec, LeadSpec, OracleSpec,
                                   PrecomputedSpec, TextRankSpec, _HFModelBase,
                                   _SummarizerBase)


# The plugin kinds' specs live with their registries; the sections of a run spec that
# hold them are derived from those registries.
DatasetSpec = LOADERS.union()
SummarizerSpec = SUMMARIZERS.union()
MetricsSpec = METRICS.section("MetricsSpec", "Reference metrics; null disables one.",
                              module=__name__)
ChecksSpec = CHECKS.section("ChecksSpec", "Consistency checks against the story; null "
                            "disables one.", module=__name__)
_SECTIONS = {"metrics": METRICS, "checks": CHECKS}


class BulletSpec(_Spec):
    max_bullets: Int | None = Field(4, ge=1)


class BootstrapSpec(_Spec):
    # the resamples' means are held in memory (n x metrics floats) and drawn over every
    # example: n: 1e12 passed `validate` and the run was killed for memory at aggregation,
    # after generating and scoring everything. 100,000 is far past where more resamples
    # move the interval (at 1,000 another seed moves it by 0.001-0.005: docs/config.md)
    n: Int = Field(1000, ge=100, le=100_000)
    # numpy's seeded generator takes no negative seed: -1 failed with a traceback after the
    # whole run had generated and scored, and `validate` passed it
    seed: Int = Field(0, ge=0)
    confidence: Float = Field(0.95, gt=0.5, lt=1.0)


class ReportSpec(_Spec):
    """Reports written into the run folder (report/) as the run's last step."""

    enabled: bool = True
    formats: tuple[Literal["html", "md", "csv", "json"], ...] = ("html", "md", "csv", "json")
    # Examples shown in full in report.html (those with the most findings first); every
    # example is still in scores.csv and the run folder. Keeps the page light on big sets.
    html_max_examples: Int = Field(300, ge=0)


class RegressSpec(_Spec):
    """CI gate: a metric regresses when it drops by more than its allowed drop (absolute,
    in the metric's 0-1 units) and the drop is significant at `alpha` (paired permutation
    test, Holm-adjusted over the gated rows)."""

    # finite and >= 0, as --max-drop requires: a NaN drop could never fail the gate
    max_drop: dict[str, Annotated[Float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: {"rouge1_f": 0.01, "rouge2_f": 0.01, "rougeLsum_f": 0.01,
                                 "consistency": 0.01})
    alpha: Float = Field(0.05, gt=0, lt=1)

    @field_validator("max_drop")
    @classmethod
    def _drops_can_fail(cls, drops: dict[str, float]) -> dict[str, float]:
        for metric, drop in drops.items():
            reason = drop_that_cannot_fail(metric, drop)
            if reason:
                raise ValueError(reason)
        return drops


class RayActorSpec(_Spec):
    """One summarizer's actor pool on Ray; a field left out takes the `ray:` default."""

    concurrency: Int | None = Field(None, ge=1, description="actors (each loads the model once)")
    batch_size: Int | None = Field(None, ge=1, description="examples per call")
    num_cpus: Float | None = Field(None, gt=0, description="CPUs reserved per actor")
    num_gpus: Float | None = Field(None, ge=0, description="GPUs reserved per actor")


class RaySpec(_Spec):
    """Settings of `summcheck run --backend ray` (docs/ray.md); the local backend ignores
    them. Not in spec_hash: they move no number."""

    concurrency: Int = Field(2, ge=1, description="actors per summarizer")
    batch_size: Int | None = Field(
        None, ge=1, description="examples per actor call; default: the summarizer's "
                                "batch_size (else 32), the local backend's batches")
    num_cpus: Float = Field(1, gt=0, description="CPUs reserved per summarizer actor")
    num_gpus: Float = Field(0, ge=0, description="GPUs reserved per summarizer actor")
    summarizers: dict[str, RayActorSpec] = Field(
        default_factory=dict, description="per-summarizer overrides, by summarizer name")
    scoring_concurrency: Int = Field(2, ge=1, description="scoring tasks at once")
    scoring_batch_size: Int = Field(256, ge=1, description="pairs per scoring task")
    max_retries: Int = Field(
        3, ge=0, description="retries of a generation batch whose process died; then each "
                             "example alone, then recorded as failed")


class RunSpec(_Spec):
    # the run folder is <name>-<10 hex>, and a file name has at most 255 bytes: a longer
    # name passed `validate` and stopped the run ("File name too long")
    name: str = Field(pattern=r"^[A-Za-z0-9._-]+$", max_length=200)
    description: str = ""
    dataset: DatasetSpec = BundledDataset()
    limit: Int | None = Field(None, ge=1, description="keep the first N examples")
    summarizers: tuple[SummarizerSpec, ...] = Field(min_length=1)
    bullets: BulletSpec = BulletSpec()
    metrics: MetricsSpec = MetricsSpec()
    checks: ChecksSpec = ChecksSpec()
    bootstrap: BootstrapSpec = BootstrapSpec()
    report: ReportSpec = ReportSpec()
    # None when the config has no `regress:` section, so that `summcheck regress` can tell
    # "not written" (then the baseline's settings, else the defaults, apply) from "written"
    regress: RegressSpec | None = None
    ray: RaySpec = RaySpec()

    @field_validator("metrics", "checks", mode="before")
    @classmethod
    def _sections_are_not_null(cls, value: Any, info) -> Any:
        """`checks: null` reads as "no checks", but null turns off one entry of a section,
        not a section: say how, instead of pydantic's "valid dictionary ... (got None)"."""
        if value is None:
            entries = {"metrics": "rouge: null, coverage: null",
                       "checks": "numbers: null, entities: null, support: null"}[info.field_name]
            raise ValueError(f"a section cannot be null; to turn its entries off, set each "
                             f"to null: `{info.field_name}: {{{entries}}}`")
        return value

    @field_validator("summarizers")
    @classmethod
    def _unique_labels(cls, value: tuple) -> tuple:
        labels = [spec.label for spec in value]
        dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
        if dupes:
            raise ValueError(f"summarizer names must be unique; give each a `name:` ({dupes})")
        return value

    @field_validator("summarizers")
    @classmethod
    def _oracle_has_references(cls, value: tuple, info) -> tuple:
        """An oracle picks story sentences by ROUGE against the reference highlights: with
        `fields.highlights: null` each of its summaries failed, scoring 0, exit 0."""
        dataset = info.data.get("dataset")
        oracles = [spec.label for spec in value if isinstance(spec, OracleSpec)]
        if oracles and isinstance(dataset, HFDataset) and dataset.fields.highlights is None:
            raise ValueError(f"{', '.join(oracles)}: an oracle needs the reference highlights, "
                             "and dataset.fields.highlights is null. Map the highlights "
                             "column, or remove the oracle")
        return value

    @field_validator("ray")
    @classmethod
    def _ray_names_summarizers(cls, value: RaySpec, info) -> RaySpec:
        """`ray.summarizers` keys are summarizer names: a typo ("leed") was found only by
        `--backend ray`, without the file or line, and passed `validate`."""
        labels = [spec.label for spec in info.data.get("summarizers") or ()]
        for name in value.summarizers:
            if labels and name not in labels:
                close = difflib.get_close_matches(name, labels, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"ray.summarizers names {name!r}, not a summarizer of this "
                                 f"config ({', '.join(labels)}).{hint}")
        return value

    @field_validator("regress")
    @classmethod
    def _gates_what_the_run_gives(cls, value: RegressSpec | None, info) -> RegressSpec | None:
        """A misspelt `regress.max_drop` metric ("rouge2f") passed `validate`; the run
        only warned, after all its work, and `summcheck regress` refused it. Checked when
        every metric and check of the config says which values it gives; the default
        gate's names may stay when their metric is off (regress skips them)."""
        sections = {key: info.data.get(key) for key in _SECTIONS}
        known = gated_names(*sections.values())
        if value is None or known is None:
            return value
        for name in value.max_drop:
            if name not in known and name not in RegressSpec().max_drop:
                raise PydanticCustomError(
                    "unknown_gated_metric", "{name}: no metric or check of this config gives "
                    "it.{hint} They give: {known}",
                    {"name": repr(name), "hint": _off_or_close(name, known, sections),
                     "known": ", ".join(sorted(known)), "at": ("max_drop", name)})
            if (reason := count_that_cannot_be_gated(name)) is not None:
                raise PydanticCustomError("count_gated", "{name} {reason}",
                                          {"name": name, "reason": reason,
                                           "at": ("max_drop", name)})
        return value

    def spec_hash(self) -> str:
        """Hash of everything that can move a number; report/gate settings are left out."""
        numbers_only = self.model_dump(mode="json", exclude=self._unhashed())
        canonical = json.dumps(numbers_only, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:10]

    def _unhashed(self) -> dict:
        """What spec_hash leaves out: run settings that move no number, each spec's
        `unhashed_fields`, and a disabled metric or check registered with
        `hash_when_off=False` (so adding one keeps every config's hash)."""
        exclude: dict = {"description": True, "report": True, "regress": True, "ray": True,
                         "dataset": set(self.dataset.unhashed_fields),
                         "summarizers": {i: set(s.unhashed_fields)
                                         for i, s in enumerate(self.summarizers)}}
        for key, registry in _SECTIONS.items():
            section, left_out = getattr(self, key), {}
            for entry in registry:
                value = getattr(section, entry.name)
                if value is None and not entry.hash_when_off:
                    left_out[entry.name] = True
                elif value is not None and value.unhashed_fields:
                    left_out[entry.name] = set(value.unhashed_fields)
            if left_out:
                exclude[key] = left_out
        return exclude


def _off_or_close(name: str, known: set[str], sections: dict[str, Any]) -> str:
    """Why a gated name is not given: the metric or check that gives it by default is
    off, or set otherwise (ROUGE without that type); else the closest name."""
    for key, registry in _SECTIONS.items():
        for entry in registry:
            try:
                names = entry.spec().metric_names() or ()
            except ValidationError:     # a spec with required settings
                names = ()
            if name in names:
                why = "is off in this config" if getattr(sections[key], entry.name) is None \
                    else "is set otherwise here"
                return (f" {key}.{entry.name} gives it by default, and {why}: turn it on "
                        "(or set it so), or remove the name from regress.max_drop.")
    close = closest_metric(name, known)
    return f" Did you mean '{close}'?" if close else ""


def gated_names(metrics: Any, checks: Any) -> set[str] | None:
    """The metric names a run of these `metrics:` and `checks:` sections gives, or None
    when a section failed validation or an entry that is on does not say its names."""
    if metrics is None or checks is None:
        return None
    names: set[str] = set()
    for section in (metrics, checks):
        for entry in section.__class__.model_fields:
            spec = getattr(section, entry)
            if spec is not None:
                given = spec.metric_names()
                if given is None:
                    return None
                names.update(given)
    return names


# ---------------------------------------------------------------- loading
_PATH_FIELDS = {("dataset", "dir"), ("dataset", "data_files"), ("summarizers", "path")}
LOCAL_BUILDERS = ("json", "csv", "parquet", "text", "arrow", "pandas")  # datasets' file readers
# A `dataset.path` ending so is a local file, even if missing (then reported as missing)
DATA_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".tsv", ".txt", ".arrow",
                 ".gz", ".bz2", ".xz", ".zst", ".zip")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}")   # .jsnl, .cvs; not a version's .2


def load_config(path: str | Path, **overrides: Any) -> RunSpec:
    """Read, resolve and validate a YAML config. Raises ConfigError with file, line, field, fix."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found. Pass the path of a YAML config.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[:err.start].count(b"\n") + 1
        raise ConfigError(f"{path}, line {line}: bytes that are not UTF-8. Save the config "
                          "as UTF-8.") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader) or {}
    except _RepeatedKey as err:
        raise ConfigError(f"{path}, line {err.line}: key {err.key!r} repeated (first on line "
                          f"{err.first}); YAML keeps only the last one. Merge the two or delete "
                          "one.") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys (name:, dataset:, ...)")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    _resolve_paths(raw, path.resolve().parent)  # a symlinked config reads beside its target
    try:
        spec = RunSpec.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_describe(err, path, text)) from None
    _check_files_exist(spec, path, text)
    return spec


class _RepeatedKey(Exception):
    def __init__(self, key: Any, line: int, first: int):
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that refuses a key given twice in one mapping: YAML readers keep the
    last, so a second `summarizers:` silently dropped the first list."""

    def construct_mapping(self, node, deep=False):
        first_line: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue        # "<<: *base": merged keys may be overridden, as YAML says
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                continue        # unhashable keys are refused by pyyaml itself
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise _RepeatedKey(key, line, first_line[key])
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def _resolve_paths(raw: dict, base: Path) -> None:
    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            p = Path(value).expanduser()
            return str(p if p.is_absolute() else (base / p).resolve())
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    dataset = raw.get("dataset")
    if isinstance(dataset, dict):
        for name in _path_fields(LOADERS, dataset.get("source", "bundled")):
            if name in dataset:
                dataset[name] = resolve(dataset[name])
        local_path = dataset.get("path")
        hub_id = isinstance(local_path, str) and not is_local(local_path, base)
        if dataset.get("data_files") is not None and not hub_id:  # a hub repo's files stay as given
            dataset["data_files"] = resolve(dataset["data_files"])
        if isinstance(local_path, str) and not hub_id and local_path not in LOCAL_BUILDERS:
            dataset["path"] = resolve(local_path)
    for summ in raw.get("summarizers") or []:
        if isinstance(summ, dict):
            for name in _path_fields(SUMMARIZERS, summ.get("type")):
                if summ.get(name):
                    summ[name] = resolve(summ[name])
            model = summ.get("model")   # a folder beside the config, else a hub id
            if isinstance(model, str) and (model.startswith((".", "/", "~"))
                                           or (base / model).is_dir()):
                summ["model"] = resolve(model)


def _path_fields(registry, name: Any) -> tuple[str, ...]:
    """The path fields of the spec registered as `name` (none for an unknown name: the
    validation reports it)."""
    return registry.get(name).spec.path_fields if name in registry.names() else ()


def is_local(dataset_path: str, base: Path) -> bool:
    """True unless `dataset.path` names a hub dataset: a builder (json, csv, ...), a data
    file (by its extension, even if missing), an existing local path, and a missing one
    in an existing local folder that has a file extension or a folder part (a typo such
    as good.jsnl, which the hub was asked for) are local. A hub id (cnn_dailymail,
    abisee/cnn_dailymail) has no extension, and its owner is no local folder."""
    given = Path(dataset_path).expanduser()
    path = base / given
    named_like_a_path = _EXTENSION.fullmatch(path.suffix) or len(given.parts) > 1
    return (dataset_path in LOCAL_BUILDERS or path.suffix.lower() in DATA_SUFFIXES
            or path.exists() or bool(named_like_a_path and path.parent.is_dir()))


def _check_files_exist(spec: RunSpec, path: Path, text: str) -> None:
    """A missing data file, pages folder or summaries file is a ConfigError; a missing
    `dataset.path` file is reported when the data is read (validate, run), because a script
    may load the config to learn where to write it (benchmarks/realsumm_models.py)."""
    def missing(loc: list, what: str, fix: str = "Fix the path") -> ConfigError:
        line = _yaml_line(text, loc)
        return ConfigError(
            f"{path}: {f'line {line}, ' if line else ''}{_format_loc(loc)}: {what}. {fix} "
            "(relative paths are read from the config file's folder).")

    ds = spec.dataset
    _check_builder_has_files(ds, path, text)
    if isinstance(ds, NewsPagesDataset):
        if not Path(ds.dir).is_dir():
            raise missing(["dataset", "dir"], f"folder {ds.dir} does not exist")
        if not any(p.is_file() for p in Path(ds.dir).glob(ds.glob)):
            raise missing(["dataset", "glob"], f"no file in {ds.dir} matches {ds.glob!r}",
                          "Fix dataset.glob or dataset.dir")
    if isinstance(ds, HFDataset) and ds.data_files is not None \
            and is_local(ds.path, path.resolve().parent):  # a hub repo's files are not checked
        files = ds.data_files
        flat = (
            [files] if isinstance(files, str)
            else files if isinstance(files, list)
            else [f for v in files.values() for f in ([v] if isinstance(v, str) else v)]
        )
        for f in flat:
            if glob.has_magic(f) and not glob.glob(f, recursive=True):
                raise missing(["dataset", "data_files"], f"pattern {f} matches no file",
                              "Fix the pattern")
            if not glob.has_magic(f) and not Path(f).is_file():
                raise missing(["dataset", "data_files"], _not_a_file(f, globs=True))
    for i, summ in enumerate(spec.summarizers):
        if isinstance(summ, PrecomputedSpec) and not Path(summ.path).is_file():
            raise missing(["summarizers", i, "path"], _not_a_file(summ.path))


def _not_a_file(path: str, globs: bool = False) -> str:
    """What is wrong with a path that should be a file: a folder was said not to exist."""
    if not Path(path).is_dir():
        return f"file {path} does not exist"
    hint = f" (a glob, {Path(path) / '*.jsonl'}, takes the files in it)" if globs else ""
    return f"{path} is a folder, not a file{hint}"


def _check_builder_has_files(ds: Any, path: Path, text: str) -> None:
    """`path: json` (a file reader) reads `data_files`: without them `datasets` looked for
    data in the working folder (and failed on whatever .json it found there, past
    `validate`); `data_files: []` passed `validate` and the run found no example."""
    if not isinstance(ds, HFDataset) or ds.path not in LOCAL_BUILDERS:
        return
    files = ds.data_files
    empty = files is not None and (not files or (isinstance(files, dict) and not any(
        files.values())))
    if files is None or empty:
        loc = ["dataset", "data_files" if files is not None else "path"]
        line = _yaml_line(text, loc)
        raise ConfigError(
            f"{path}: {f'line {line}, ' if line else ''}{_format_loc(loc)}: `path: "
            f"{ds.path}` reads the files in dataset.data_files, and "
            f"{'it names none' if empty else 'there is none'}. Give `data_files:` (a file, "
            "a list or a glob), or the data file itself as `path:`.")


def _describe(err: ValidationError, path: Path, text: str) -> str:
    errors = _drop_consequential(err.errors())
    lines = [f"{path}: invalid config ({len(errors)} problem(s)):"]
    for e in errors:
        loc = _without_union_tags(list(e["loc"])) + list(e.get("ctx", {}).get("at", ()))
        if e["type"] == "invalid_key":   # its last part is the key's position, not a field
            loc = loc[:-1]
        field = _format_loc(loc)
        line = _yaml_line(text, loc)
        where = f"line {line}, " if line else ""
        lines.append(f"  - {where}{field}: {_explain(e, list(e['loc']))}")
    return "\n".join(lines)


def _drop_consequential(errors: list[dict]) -> list[dict]:
    """Drop a list's 'too short' error when its items already failed (it only follows from them)."""
    item_locs = {tuple(e["loc"][:1]) for e in errors if len(e["loc"]) > 1}
    return [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in item_locs)]


def _without_union_tags(loc: list) -> list:
    """`loc` without the parts pydantic adds to say which type of a tagged union was
    validated (`summarizers[0].lead.k` is `summarizers[0].k`). Only the part right after
    a tagged field is one: a `ray.summarizers` key named like a type ("lead") is a key,
    and was dropped from the message."""
    out: list = []
    model: Any = RunSpec
    tagged = False
    for part in loc:
        if tagged and _is_union_tag(part):
            model, tagged = _TAG_MODELS[part], False
            continue
        out.append(part)
        if isinstance(part, str):
            field = model.model_fields.get(part) if model is not None else None
            model = _model_of(field.annotation) if field is not None else None
            tagged = model in _TAG_MODELS.values()
    return out


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in _TAG_MODELS


_TAG_MODELS: dict[str, type[BaseModel]] = {
    entry.name: entry.spec for registry in (LOADERS, SUMMARIZERS) for entry in registry}


def _format_loc(loc: list) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _explain(e: dict, loc: list) -> str:
    """One sentence saying what is wrong and how to fix it; `loc` includes union tags."""
    kind = e["type"]
    if e.get("ctx", {}).get("at"):   # our own error about a part of the input: no (got ...)
        return f"{e['msg']}."
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = _did_you_mean(str(loc[-1]), allowed)
        return f"unknown key.{hint} Allowed keys here: {', '.join(sorted(allowed))}."
    if kind == "invalid_key":
        return (f"key {e.get('input')!r} is not a name: YAML reads a bare on, off, yes, no, "
                "true or false as true or false, and digits as a number. Quote the key "
                "('on':) or fix its spelling.")
    if kind == "missing":
        return f"required key missing: add `{loc[-1]}:` here."
    if kind == "model_type" and isinstance(e.get("input"), bool) and len(loc) == 2 \
            and loc[0] in _SECTIONS:   # `coverage: true`, `numbers: off`
        return (f"`{loc[-1]}: {str(e['input']).lower()}` is neither on nor off: turn it on "
                f"with its default settings as `{loc[-1]}: {{}}`, or off as "
                f"`{loc[-1]}: null`.")
    if kind == "union_tag_invalid":
        tags = e["ctx"]["expected_tags"]
        choices = [t.strip().strip("'") for t in tags.split(",")]
        given = str(e["ctx"].get("tag", ""))
        return f"unknown value '{given}'.{_did_you_mean(given, choices)} Choose one of: {tags}."
    if kind == "union_tag_not_found":
        return f"missing `{e['ctx']['discriminator'].strip(chr(39))}:` key saying which kind this is."
    if kind in ("tuple_type", "list_type"):   # pydantic says "a valid tuple"
        given = e.get("input")
        one = (" (one entry? Put `- ` before it, on its own line, or [ ] around it)"
               if isinstance(given, (dict, str)) else "")
        return (f"a list is needed here: [a, b], or one `- ` line per item (got "
                f"{given!r}){one}.")
    if kind == "model_attributes_type" and isinstance(e.get("input"), str) \
            and len(loc) == 2 and loc[0] == "summarizers":   # `- lead`
        hint = (f" `{{type: {e['input']}}}`" if e["input"] in SUMMARIZERS.names()
                else " {type: lead, k: 3}")
        return (f"each summarizer is a mapping with its type and settings, e.g.{hint} "
                f"(got {e['input']!r}).")
    if kind == "literal_error" and isinstance(e.get("input"), str):  # e.g. a ROUGE type
        choices = re.findall(r"'([^']*)'", e["ctx"]["expected"])
        return f"{e['msg']} (got {e['input']!r}).{_did_you_mean(e['input'], choices)}"
    return f"{e['msg']} (got {e.get('input')!r})."


def _allowed_keys(parent_loc: list) -> set[str]:
    model: Any = RunSpec
    for part in parent_loc:
        if _is_union_tag(part):
            model = _TAG_MODELS[part]
        elif isinstance(part, str) and model is not None:
            field = model.model_fields.get(part)
            model = _model_of(field.annotation) if field else None
    return set(model.model_fields) if model is not None else set()


def _model_of(annotation: Any) -> Any:
    """The pydantic model behind a field annotation (unwrapping Optional/tuple/Annotated)."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _yaml_line(text: str, loc: list) -> int | None:
    """1-based line of the YAML node at `loc`, or of its closest existing parent."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    best = node.start_mark.line + 1 if node else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child, best = value, key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part < len(node.value):
                child = node.value[part]
                best = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return best
