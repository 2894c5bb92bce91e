"""States that flow through a run: examples in, summaries out. Frozen and serializable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable


@dataclass(frozen=True)
class Example:
    """One story with its reference highlight bullets."""

    id: str
    story: str
    reference_bullets: tuple[str, ...] = ()
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def content_hash(self) -> str:
        """Hash of the example's content (title, story, reference bullets), not its id."""
        return self._content_digest

    @cached_property
    def _content_digest(self) -> str:   # asked for by every cache: computed once
        payload = json.dumps(
            [self.title, self.story, list(self.reference_bullets)], ensure_ascii=False
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    @cached_property
    def text_digest(self) -> bytes:
        """sha256 of the title, story and reference bullets (`digest_texts`): what a
        score depends on from the example, hashed once however many summaries of it
        (one a system) are scored."""
        digest = hashlib.sha256()
        refs = self.reference_bullets
        digest_texts(digest, [self.title, self.story, str(len(refs)), *refs])
        return digest.digest()

    def input_hash(self, *, with_id: bool) -> str:
        """What a summarizer's output may depend on: the content, and the id when the
        summarizer reads it (a precomputed file is looked up by id, so two examples with
        the same story can have different summaries)."""
        if not with_id:
            return self.content_hash()
        payload = json.dumps([self.id, self.content_hash()], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        """The run folder's row. Built field by field: `dataclasses.asdict` deep-copies
        every value and cost more than the JSON encoding of the row."""
        return {"id": self.id, "story": self.story,
                "reference_bullets": list(self.reference_bullets), "title": self.title,
                "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Example:
        return cls(
            id=str(data["id"]),
            story=data["story"],
            reference_bullets=tuple(data.get("reference_bullets", ())),
            title=data.get("title", ""),
            meta=dict(data.get("meta", {})),
        )


@dataclass(frozen=True)
class Summary:
    """A summarizer's output for one example.

    `error` is set (and `bullets` empty) when the summarizer failed on this example;
    `meta` carries per-example facts such as input truncation.
    """

    example_id: str
    bullets: tuple[str, ...]
    raw_text: str = ""
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The run folder's row (`meta` copied one level: its values are plain JSON)."""
        return {"example_id": self.example_id, "bullets": list(self.bullets),
                "raw_text": self.raw_text, "seconds": self.seconds, "meta": dict(self.meta),
                "error": self.error}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        return cls(
            example_id=str(data["example_id"]),
            bullets=tuple(data.get("bullets", ())),
            raw_text=data.get("raw_text", ""),
            seconds=float(data.get("seconds", 0.0)),
            meta=dict(data.get("meta", {})),
            error=data.get("error"),
        )


def digest_texts(digest: Any, texts: Iterable[str | bytes]) -> None:
    """Add `texts` to a hashlib digest, each as its UTF-8 byte length and bytes, so no two
    different sequences give the same input (a plain join would: "ab" + "c" = "a" + "bc").
    Much cheaper per story than hashing a JSON encoding, which escapes the text first.
    A text already encoded (UTF-8, surrogates passed) may be given as bytes. One update
    call: a call per piece cost as much as hashing a story."""
    parts: list[bytes] = []
    for text in texts:
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        parts += (b"%d:" % len(data), data)
    digest.update(b"".join(parts))
