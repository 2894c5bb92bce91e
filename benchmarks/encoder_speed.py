"""Speed of the MiniLM sentence encoder: numpy (summcheck.minilm) against transformers +
torch, in the same process, interleaved, on news sentences.

Workload: the sentences of FRANK's validation articles (../shared/data/frank_valid.jsonl,
read, never copied), split as the support check splits stories (summcheck.text), the
first --sentences of them in story order. Both backends encode the same sentences into
mean-pooled, L2-normalised all-MiniLM-L6-v2 vectors (max 256 word pieces), tokenization
included, in batches of texts of similar length:

  numpy      BertEncoder.sentence_vectors: batches on `--threads` worker threads, each
             with single-threaded BLAS (threadpoolctl), at most 512 padded tokens a batch
  numpy-nocap  the same without the 512-token cap (batches of exactly the batch size)
  numpy-padded the numpy encoder batching texts of mixed lengths, padded to the longest
             (summcheck.minilm's batching until 2026-12-05; it now batches one length only,
             so that no vector depends on its batch: `info` counts, on the first --layers
             sentences, the vectors of each that differ in any bit from one encoded alone)
  torch      AutoTokenizer + AutoModel under inference_mode, mean pool + normalize (the
             path summcheck.embeddings used before), torch.set_num_threads(--threads)

Each round runs every (batch size, backend) once, the backends' order alternating from
round to round, so both meet the same machine load; a row reports the median of the
rounds and the numpy/torch ratio of the medians. Word pieces/s counts [CLS] and [SEP]
(the model's real input). The max abs difference of the two backends' sentence vectors is
recorded too, and of every layer's token vectors on the first --layers sentences. Prints
a table and appends it to benchmarks/results/encoder_speed.md.

    .venv/bin/python -m benchmarks.encoder_speed [--sentences 600] [--batch-sizes 8,32,64]
                                                 [--rounds 3] [--threads 2] [--layers 300]
                                                 [--no-write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

from summcheck.embeddings import MAX_TOKENS, packaged_model_dir
from summcheck.text import split_bullets, split_sentences

from . import results_file
from .data import DATA, load_jsonl

RESULTS = results_file.RESULTS / "encoder_speed.md"


def news_sentences(limit: int) -> list[str]:
    """The first `limit` sentences of FRANK's articles, each article once."""
    articles = dict.fromkeys(r["article"] for r in load_jsonl(DATA / "frank_valid.jsonl"))
    return [s for article in articles for s in split_sentences(article)][:limit]


def cnndm_costs(tokenize) -> dict:
    """What the support check encodes for FRANK's CNN/DM rows: word pieces of a summary's
    bullets, and of a story's sentences (encoded once per story)."""
    rows = [r for r in load_jsonl(DATA / "frank_valid.jsonl") if r["dataset"] == "cnndm"]
    stories = list(dict.fromkeys(r["article"] for r in rows))
    story_sentences = [split_sentences(story) for story in stories]
    bullets = [b for r in rows for b in split_bullets(r["summary"])]
    return {"summaries": len(rows), "stories": len(stories),
            "summary_pieces": sum(map(len, tokenize(bullets))) / len(rows),
            "story_sentences": sum(map(len, story_sentences)) / len(stories),
            "story_pieces": sum(len(ids) for sentences in story_sentences
                                for ids in tokenize(sentences)) / len(stories)}


class TorchEncoder:
    """The transformers + torch path summcheck.embeddings had before the numpy one."""

    def __init__(self, folder: Path, threads: int):
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(threads)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).eval()

    def sentence_vectors(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        torch = self.torch
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            enc = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                 max_length=MAX_TOKENS, return_tensors="pt")
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[rows] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return out


class UncappedEncoder:
    """The numpy encoder with its per-batch token cap lifted."""

    def __init__(self, encoder):
        self.encoder = encoder

    def sentence_vectors(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        from summcheck import minilm

        cap, minilm._TOKEN_BUDGET = minilm._TOKEN_BUDGET, 10**9
        try:
            return self.encoder.sentence_vectors(texts, batch_size=batch_size)
        finally:
            minilm._TOKEN_BUDGET = cap


class PaddedEncoder:
    """The numpy encoder batching texts of similar, not equal, length (padded)."""

    def __init__(self, encoder):
        self.encoder = encoder

    def sentence_vectors(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        from summcheck import minilm

        equal_lengths = minilm._chunks
        minilm._chunks = mixed_length_chunks
        try:
            return self.encoder.sentence_vectors(texts, batch_size=batch_size)
        finally:
            minilm._chunks = equal_lengths


def mixed_length_chunks(lengths: list[int], batch_size: int, budget: int) -> list[list[int]]:
    """minilm._chunks before 2026-12-05: sorted by length, texts of any length together."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    chunks: list[list[int]] = []
    for i in order:
        last = chunks[-1] if chunks else None
        if last and len(last) < batch_size and (len(last) + 1) * lengths[i] <= budget:
            last.append(i)
        else:
            chunks.append([i])
    return chunks


def differ_from_alone(encoder, texts: list[str], batch_size: int) -> int:
    """How many of the texts' vectors differ in any bit from the text encoded alone."""
    together = encoder.sentence_vectors(texts, batch_size=batch_size)
    return sum(not np.array_equal(v, encoder.sentence_vectors([t], batch_size=1)[0])
               for t, v in zip(texts, together))


def layer_differences(folder: Path, numpy_encoder, texts: list[str]) -> list[float]:
    """Max abs difference of every layer's token vectors (embeddings first), numpy vs
    transformers' BertModel, over `texts` (real tokens only; different batches)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    ours = numpy_encoder.hidden_states(texts, batch_size=16)
    worst = np.zeros(len(ours[0]) if ours else 0)
    for start in range(0, len(texts), 32):
        enc = tokenizer(texts[start:start + 32], padding=True, truncation=True,
                        max_length=MAX_TOKENS, return_tensors="pt")
        with torch.inference_mode():
            states = torch.stack(model(**enc, output_hidden_states=True).hidden_states, 1)
        for row, n in enumerate(enc["attention_mask"].sum(1).tolist()):
            theirs = states[row, :, :n].numpy()
            worst = np.maximum(worst, np.abs(ours[start + row] - theirs).max(axis=(1, 2)))
    return worst.tolist()


def timed(encoder, texts: list[str], batch_size: int) -> tuple[float, float, np.ndarray]:
    """(wall s, CPU s of the process, vectors)."""
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = encoder.sentence_vectors(texts, batch_size=batch_size)
    return time.perf_counter() - wall, time.process_time() - cpu, vectors


def measure(args: argparse.Namespace) -> tuple[list[dict], dict]:
    from summcheck.minilm import BertEncoder

    os.environ["SUMMCHECK_ENCODER_THREADS"] = str(args.threads)
    folder = packaged_model_dir()
    texts = news_sentences(args.sentences)
    numpy_encoder = BertEncoder(folder, max_tokens=MAX_TOKENS)
    encoders = {"numpy": numpy_encoder, "numpy-nocap": UncappedEncoder(numpy_encoder),
                "numpy-padded": PaddedEncoder(numpy_encoder),
                "torch": TorchEncoder(folder, args.threads)}
    pieces = sum(len(ids) for ids in encoders["numpy"].tokenize(texts))
    for encoder in encoders.values():           # warm-up: first-call costs are not timed
        encoder.sentence_vectors(texts[:64], batch_size=32)
    times: dict[tuple[int, str], list[tuple[float, float]]] = {}
    diff = 0.0
    for round_ in range(args.rounds):
        for batch_size in args.batch_sizes:
            names = list(encoders) if round_ % 2 == 0 else list(encoders)[::-1]
            vectors = {}
            for name in names:
                wall, cpu, vectors[name] = timed(encoders[name], texts, batch_size)
                times.setdefault((batch_size, name), []).append((wall, cpu))
            diff = max(diff, float(np.abs(vectors["numpy"] - vectors["torch"]).max()))
    rows = []
    for batch_size in args.batch_sizes:
        medians = {name: (statistics.median(w for w, _ in times[(batch_size, name)]),
                          statistics.median(c for _, c in times[(batch_size, name)]))
                   for name in encoders}
        for name, (wall, cpu) in medians.items():
            rows.append({"batch": batch_size, "backend": name, "wall": wall, "cpu": cpu,
                         "sent_s": len(texts) / wall, "pieces_s": pieces / wall,
                         "range": [len(texts) / w for w, _ in times[(batch_size, name)]],
                         "ratio": medians["torch"][0] / wall if name == "numpy" else None})
    info = {**cnndm_costs(numpy_encoder.tokenize), "sentences": len(texts), "pieces": pieces,
            "max_abs_diff": diff,
            "layers": layer_differences(folder, numpy_encoder, texts[:args.layers]),
            "differ_from_alone": {name: differ_from_alone(encoders[name], texts[:args.layers],
                                                          max(args.batch_sizes))
                                  for name in ("numpy", "numpy-padded")}}
    return rows, info


def table(rows: list[dict], info: dict, args: argparse.Namespace, load_start: str
          ) -> list[str]:
    versions = ", ".join(f"{p} {version(p)}" for p in
                         ("numpy", "scipy", "tokenizers", "safetensors", "threadpoolctl",
                          "torch", "transformers"))
    lines = [*results_file.header("encoder_speed", load_start)[:-1],
             f"- threads: {args.threads} (numpy: worker threads, BLAS 1 each; torch: "
             "set_num_threads)", f"- versions: {versions}",
             f"- workload: {info['sentences']} FRANK article sentences, {info['pieces']} word "
             f"pieces ({info['pieces'] / info['sentences']:.1f} per sentence)",
             f"- FRANK CNN/DM ({info['summaries']} summaries of {info['stories']} stories): "
             f"{info['summary_pieces']:.0f} word pieces per summary's bullets, "
             f"{info['story_sentences']:.1f} sentences and {info['story_pieces']:.0f} word "
             "pieces per story",
             f"- max abs difference numpy vs torch, sentence vectors: {info['max_abs_diff']:.2g}"
             f"; token vectors of the first {args.layers} sentences, embeddings then layers "
             f"1-6: {', '.join(f'{d:.2g}' for d in info['layers'])}",
             f"- vectors of the first {args.layers} sentences that differ in any bit from "
             f"the sentence encoded alone (batch {max(args.batch_sizes)}): "
             + ", ".join(f"{n} {c}" for n, c in info["differ_from_alone"].items()),
             "", "| batch | backend | rounds | sentences/s (range) | word pieces/s | CPU s "
             "| numpy/torch |", "|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        spread = f"{min(r['range']):.0f}-{max(r['range']):.0f}"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else ""
        lines.append(f"| {r['batch']} | {r['backend']} | {len(r['range'])} | "
                     f"{r['sent_s']:.0f} ({spread}) | {r['pieces_s']:.0f} | {r['cpu']:.1f} | "
                     f"{ratio} |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=600)
    parser.add_argument("--batch-sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[8, 32, 64])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--layers", type=int, default=300,
                        help="sentences whose every layer is compared with transformers")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load_start = results_file.load_average()
    rows, info = measure(args)
    lines = table(rows, info, args, load_start)
    print("\n".join(lines))
    if not args.no_write:
        results_file.append_section(RESULTS, "MiniLM encoder speed: numpy vs torch", lines)


if __name__ == "__main__":
    main()
