"""Dataset sources: each spec class (a `dataset:` with its `source:`) registered with its
loader. A new source is a module with a loader `(spec) -> Sequence[Example]` (an
`ExampleRows` for large files; it may take a `tap` keyword, `data.Tap`) and one decorated
spec class here; config validation, `load_examples` and `summcheck list` follow. A loader
may add a "check" hook, `(spec) -> rows checked`, that `summcheck validate` runs to read
the data without loading it.

Loaders are imported only when data is loaded.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..registry import Float, Int, Registry, Spec

LOADERS = Registry("dataset source", tag="source")


class FieldMap(Spec):
    """Which columns of a tabular dataset hold what. `id` may be null: the row index is used."""

    id: str | None = "id"
    story: str = "article"
    highlights: str | None = "highlights"
    title: str | None = None

    @model_validator(mode="after")
    def _highlights_are_not_the_story(self) -> "FieldMap":
        """`highlights: article` scored every summary against its own story (a copied
        sentence then looked like a perfect highlight), and validate said ok."""
        if self.highlights is not None and self.highlights == self.story:
            raise ValueError(f"highlights and story both name the column {self.story!r}: "
                             "each summary would be scored against its own story. Map "
                             "highlights to the reference highlights' column, or set "
                             "`highlights: null` when there are none")
        return self


class _DatasetBase(Spec):
    unhashed_fields = ("prepare",)

    sample: Int | None = Field(None, ge=1, description="random sample of this many examples")
    seed: Int = 0
    clean_html: bool = Field(True, description="decode HTML entities and drop tags")
    prepare: str | None = Field(
        None, description="how to make the data when it is not there yet (a command); "
                          "added to the error when the data cannot be read")

    def describe(self) -> str:
        """The data in a few words, for error messages."""
        raise NotImplementedError


@LOADERS.register("summcheck.data.bundled:load_bundled",
                  "the sample news stories shipped inside the package")
class BundledDataset(_DatasetBase):
    source: Literal["bundled"] = "bundled"

    def describe(self) -> str:
        return "bundled samples"


@LOADERS.register("summcheck.data.hf:load_hf",
                  "local JSONL, JSON, CSV or Parquet files, or anything "
                  "datasets.load_dataset reads",
                  variants=(("local .jsonl .json .csv", None), ("local .parquet", "parquet"),
                            ("hub datasets, compressed files", "hf")),
                  hooks={"check": "summcheck.data.hf:check_local_files"})
class HFDataset(_DatasetBase):
    """Anything `datasets.load_dataset` reads: a hub id, or "json"/"csv"/"parquet" + data_files."""

    source: Literal["hf"]
    path: str
    name: str | None = None
    split: str = "test"
    revision: str | None = None
    data_files: str | list[str] | dict[str, str | list[str]] | None = None
    fields: FieldMap = FieldMap()
    highlights_sep: str | None = Field(   # "" would be str.split's ValueError mid-run
        "\n", min_length=1,
        description='separator between highlights in one string; null = one bullet')

    def describe(self) -> str:
        return f"dataset {self.path}" + (f" ({self.data_files})" if self.data_files else "")


@LOADERS.register("summcheck.data.news_pages:load_news_pages",
                  "a folder of plain-text news pages as copied from a news site",
                  hooks={"check": "summcheck.data.news_pages:check_news_pages"})
class NewsPagesDataset(_DatasetBase):
    path_fields = ("dir",)

    source: Literal["news_pages"]
    dir: str
    glob: str = "*.txt"

    def describe(self) -> str:
        return f"news pages in {self.dir}"
