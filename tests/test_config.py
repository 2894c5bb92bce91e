from pathlib import Path

import pytest

from summcheck.config import LeadSpec, RunSpec, load_config
from summcheck.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bench.yaml"
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def test_shipped_default_config_is_valid():
    spec = load_config(REPO / "configs" / "default.yaml")
    assert spec.dataset.source == "bundled"
    assert [s.label for s in spec.summarizers] == [
        "lead-3", "textrank", "oracle", "demo-abstractive", "embedding"]
    assert spec.summarizers[4].optional and spec.metrics.coverage.optional
    assert Path(spec.summarizers[3].path).is_file()  # resolved beside the packaged config
    assert spec.metrics.rouge.use_stemmer is True


def test_unknown_key_names_file_line_field_and_suggestion(tmp_path):
    path = write(tmp_path, "name: t\nsummarizers:\n  - type: lead\n    kk: 3\n")
    message = error_of(path)
    assert str(path) in message
    assert "line 4" in message
    assert "summarizers[0].kk" in message
    assert "Did you mean 'k'?" in message


@pytest.mark.parametrize("text, key, line, first", [
    ("name: t\nsummarizers: [{type: lead}]\nsummarizers:\n  - type: textrank\n",
     "summarizers", 3, 2),
    ("name: t\nsummarizers:\n  - type: lead\n    k: 3\n    k: 2\n", "k", 5, 4),
])
def test_a_key_given_twice_is_refused_naming_both_lines(tmp_path, text, key, line, first):
    """YAML keeps the last of two equal keys: a second `summarizers:` dropped the first
    list without a word."""
    message = error_of(write(tmp_path, text))
    assert f"line {line}: key {key!r} repeated (first on line {first})" in message


def test_yaml_merge_keys_still_override(tmp_path):
    path = write(tmp_path, "name: t\nbase: &b {type: lead, k: 2}\n"
                           "summarizers:\n  - <<: *b\n    k: 3\n")
    with pytest.raises(ConfigError, match="base"):      # only the unknown top-level key
        load_config(path)


def test_unknown_summarizer_type_suggests_closest(tmp_path):
    message = error_of(write(tmp_path, "name: t\nsummarizers:\n  - type: textrnak\n"))
    assert "unknown value 'textrnak'" in message and "Did you mean 'textrank'?" in message


def test_wrong_type_and_bounds(tmp_path):
    message = error_of(write(tmp_path, "name: t\nsummarizers:\n  - {type: lead, k: many}\n"
                                       "bootstrap: {n: 5}\n"))
    assert "summarizers[0].k" in message and "valid integer" in message
    assert "bootstrap.n" in message and "greater than or equal to 100" in message


def test_a_negative_bootstrap_seed_is_refused_before_the_run(tmp_path):
    """numpy's generator refuses it: a traceback once the run had generated and scored."""
    message = error_of(write(tmp_path, "name: t\nsummarizers: [{type: lead}]\n"
                                       "bootstrap: {seed: -1}\n"))
    assert "bootstrap.seed" in message and "greater than or equal to 0" in message


@pytest.mark.parametrize("section, fix", [
    ("checks", "`checks: {numbers: null, entities: null, support: null}`"),
    ("metrics", "`metrics: {rouge: null, coverage: null}`"),
])
def test_a_null_section_says_how_to_turn_its_entries_off(tmp_path, section, fix):
    """`checks: null` gave "Input should be a valid dictionary or instance of ChecksSpec"."""
    message = error_of(write(tmp_path, f"name: t\n{section}: null\nsummarizers: [{{type: lead}}]\n"))
    assert f"line 2, {section}:" in message and fix in message


@pytest.mark.parametrize("entry, value", [("metrics: {coverage: %s}", "true"),
                                          ("checks: {numbers: %s}", "off"),
                                          ("checks: {support: %s}", "yes")])
def test_a_boolean_entry_says_how_to_turn_it_on_or_off(tmp_path, entry, value):
    """`coverage: true` said "Input should be a valid dictionary or instance of
    CoverageSpec (got True)", which does not say how to turn it on."""
    name = entry.split("{")[1].split(":")[0]
    message = error_of(write(tmp_path, f"name: t\n{entry % value}\nsummarizers: [{{type: lead}}]\n"))
    assert f"line 2, {entry.split(':')[0]}.{name}: `{name}: " in message
    assert f"as `{name}: {{}}`, or off as `{name}: null`" in message


def test_missing_required_key(tmp_path):
    message = error_of(write(tmp_path, "summarizers:\n  - type: lead\n"))
    assert "name: required key missing" in message


def test_missing_files_are_reported_with_field(tmp_path):
    message = error_of(write(tmp_path, "name: t\nsummarizers:\n  - {type: precomputed, path: nope.jsonl}\n"))
    assert "summarizers[0].path" in message and "nope.jsonl" in message
    message = error_of(write(tmp_path, "name: t\ndataset: {source: news_pages, dir: pages}\n"
                                       "summarizers: [{type: lead}]\n"))
    assert "dataset.dir" in message and "does not exist" in message


def test_relative_paths_resolve_against_config_folder(tmp_path):
    (tmp_path / "out.jsonl").write_text('{"id": "a", "summary": "x"}\n')
    spec = load_config(write(tmp_path, "name: t\nsummarizers: [{type: precomputed, path: out.jsonl}]\n"))
    assert spec.summarizers[0].path == str((tmp_path / "out.jsonl").resolve())


def test_duplicate_summarizer_labels_rejected(tmp_path):
    message = error_of(write(tmp_path, "name: t\nsummarizers: [{type: lead}, {type: lead, k: 2}]\n"))
    assert "unique" in message


def test_not_yaml_mapping_and_missing_file(tmp_path):
    assert "top level must be a mapping" in error_of(write(tmp_path, "- a\n- b\n"))
    assert "config file not found" in error_of(tmp_path / "absent.yaml")


def test_spec_is_frozen_and_hash_tracks_content():
    a = RunSpec(name="t", summarizers=(LeadSpec(type="lead"),))
    b = RunSpec(name="t", summarizers=(LeadSpec(type="lead", k=2),))
    assert a.spec_hash() != b.spec_hash()
    assert a.spec_hash() == RunSpec(name="t", summarizers=(LeadSpec(type="lead"),)).spec_hash()
    with pytest.raises(Exception):
        a.name = "other"


def test_limit_override(tmp_path):
    spec = load_config(write(tmp_path, "name: t\nsummarizers: [{type: lead}]\n"), limit=5)
    assert spec.limit == 5


def test_a_model_folder_beside_the_config_is_found_from_anywhere(tmp_path, monkeypatch):
    """`model: models/x` names a folder beside the config when one is there (like every
    other relative path in a config), else a hub id such as facebook/bart-large-cnn."""
    from summcheck.config import load_config

    (tmp_path / "models" / "x").mkdir(parents=True)
    config = tmp_path / "c.yaml"
    config.write_text("name: m\nsummarizers:\n"
                      "  - {type: hf-seq2seq, name: local, model: models/x}\n"
                      "  - {type: hf-seq2seq, name: hub, model: facebook/bart-large-cnn}\n")
    monkeypatch.chdir(tmp_path.parent)
    local, hub = load_config(config).summarizers
    assert local.model == str(tmp_path / "models" / "x")
    assert hub.model == "facebook/bart-large-cnn"


def test_a_config_that_is_not_utf8_names_the_file_and_line(tmp_path):
    """It was a traceback (exit 1, which a CI gate reads as a regression)."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"name: x\nsummarizers:\n  - {type: lead, name: caf\xe9}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml, line 3: bytes that are not UTF-8"):
        load_config(path)
    path.write_bytes(b"\xef\xbb\xbfname: x\nsummarizers:\n  - {type: lead}\n")
    assert load_config(path).name == "x"     # a byte-order mark is no part of the YAML


def test_ray_settings_of_a_summarizer_the_config_lacks_are_refused_by_validate(tmp_path):
    """`ray: {summarizers: {leed: ...}}` passed validate and local runs; only a Ray run
    refused it, naming no file or line."""
    message = error_of(write(tmp_path, "name: t\nsummarizers: [{type: lead}]\n"
                                       "ray: {summarizers: {leed: {concurrency: 1}}}\n"))
    assert "line 3, ray:" in message and "Did you mean 'lead'?" in message


@pytest.mark.parametrize("text, field, fix", [
    # no label looked for no name: entities_precision_source 1.0 for every summary
    ("checks: {entities: {labels: []}}", "checks.entities.labels", "`entities: null`"),
    # ROUGE on, in the signature, with no score; the gate's rouge rows failed in regress
    ("metrics: {rouge: {types: []}}", "metrics.rouge.types", "`rouge: null`"),
])
def test_an_empty_list_that_turns_a_part_off_unsaid_is_refused(tmp_path, text, field, fix):
    message = error_of(write(tmp_path, f"name: t\nsummarizers: [{{type: lead}}]\n{text}\n"))
    assert f"line 3, {field}:" in message and fix in message


@pytest.mark.parametrize("text, field", [
    # the run was killed for memory at aggregation, after generating and scoring all
    ("bootstrap: {n: 1000000000000}", "bootstrap.n"),
    # torch.manual_seed overflowed: every summary of the model failed, exit 0
    ("summarizers: [{type: hf-causal, model: m, seed: 1180591620717411303424}]",
     "summarizers[0].seed"),
    # OpenMP aborted the process (exit 1, a regression's code)
    ("summarizers: [{type: hf-seq2seq, model: m, threads: 1000000000}]",
     "summarizers[0].threads"),
])
def test_numbers_that_fail_only_late_in_a_run_are_refused_on_load(tmp_path, text, field):
    body = text if text.startswith("summarizers") else f"summarizers: [{{type: lead}}]\n{text}"
    message = error_of(write(tmp_path, f"name: t\n{body}\n"))
    assert field in message and "less than" in message


@pytest.mark.parametrize("generation, key", [
    ("{max_new_tokens: many}", "max_new_tokens"), ("{min_new_tokens: -1}", "min_new_tokens"),
    ("{max_length: 0}", "max_length"), ("{max_new_tokens: true}", "max_new_tokens"),
])
def test_a_generation_length_that_is_no_token_count_is_refused_on_load(tmp_path, generation,
                                                                      key):
    """`max_new_tokens: many` failed every summary of the model, the run exiting 0."""
    message = error_of(write(tmp_path, "name: t\nsummarizers:\n  - type: hf-seq2seq\n"
                                       f"    model: m\n    generation: {generation}\n"))
    assert "line 5, summarizers[0].generation:" in message
    assert f"{key} must be a whole number of tokens" in message


@pytest.mark.parametrize("dataset, field, none", [
    ("{source: hf, path: json}", "dataset.path", "there is none"),
    ("{source: hf, path: csv, data_files: []}", "dataset.data_files", "it names none"),
    ("{source: hf, path: parquet, data_files: {test: []}}", "dataset.data_files",
     "it names none"),
])
def test_a_file_reader_without_files_is_refused_on_load(tmp_path, dataset, field, none):
    """`path: json` without data_files made `datasets` read the working folder's .json
    files (a parse error past validate); `data_files: []` ran into "no examples left"."""
    message = error_of(write(tmp_path, f"name: t\nsummarizers: [{{type: lead}}]\n"
                                       f"dataset: {dataset}\n"))
    assert f"line 3, {field}:" in message and none in message and "data_files:" in message


@pytest.mark.parametrize("text, field, key", [
    ("report: {on: true}", "line 3, report:", "True"),    # YAML 1.1: a bare `on` is true
    ("1: x", "(top level):", "1"),
])
def test_a_key_yaml_reads_as_no_name_says_to_quote_it(tmp_path, text, field, key):
    """It said `report[1]: Keys should be strings (got True)`: a list index, for a key."""
    message = error_of(write(tmp_path, f"name: t\nsummarizers: [{{type: lead}}]\n{text}\n"))
    assert f"{field} key {key} is not a name" in message and "Quote the key" in message


def test_a_name_too_long_for_a_folder_name_is_refused_on_load(tmp_path):
    """The run folder <name>-<hash> could not be made: the run stopped, `validate` passed."""
    message = error_of(write(tmp_path, f"name: {'a' * 250}\nsummarizers: [{{type: lead}}]\n"))
    assert "line 1, name:" in message and "at most 200 characters" in message
    assert load_config(write(tmp_path, f"name: {'a' * 200}\nsummarizers: [{{type: lead}}]\n"))


def test_a_folder_where_a_file_goes_is_called_a_folder(tmp_path):
    """It was 'file <folder> does not exist', while the folder was right there."""
    (tmp_path / "outs").mkdir()
    message = error_of(write(tmp_path, "name: t\nsummarizers:\n"
                                       "  - {type: precomputed, path: outs}\n"))
    assert f"summarizers[0].path: {tmp_path / 'outs'} is a folder, not a file" in message
    message = error_of(write(tmp_path, "name: t\nsummarizers: [{type: lead}]\n"
                                       "dataset: {source: hf, path: json, data_files: outs}\n"))
    assert "dataset.data_files:" in message and "is a folder, not a file" in message
    assert str(tmp_path / "outs" / "*.jsonl") in message


def test_an_oracle_without_reference_highlights_is_refused_on_load(tmp_path):
    """Each of its summaries failed ("the oracle needs reference highlights"), scoring 0
    in the table, and the run exited 0."""
    (tmp_path / "d.jsonl").write_text('{"id": "a", "article": "A story."}\n')
    data = "dataset: {source: hf, path: d.jsonl, fields: {highlights: null}}\n"
    message = error_of(write(tmp_path, "name: t\n" + data +
                             "summarizers: [{type: lead}, {type: oracle, name: best}]\n"))
    assert "line 3, summarizers:" in message and "best: an oracle needs the reference" in message
    assert load_config(write(tmp_path, "name: t\n" + data + "summarizers: [{type: lead}]\n"))


@pytest.mark.parametrize("setting, field", [
    ("generation: {max_length: 64}", "summarizers[0].generation"),
    ("generation: {max_new_tokens: 0}", "summarizers[0].generation"),
    ("seed: 1180591620717411303424", "summarizers[0].seed"),
])
def test_a_gemma_setting_hf_causal_refuses_is_refused_on_load(tmp_path, setting, field):
    """gemma-270m is built as an hf-causal spec, which refused these when the summarizer
    was built: a pydantic traceback (exit 1), past `validate`."""
    message = error_of(write(tmp_path, f"name: t\nsummarizers:\n  - type: gemma-270m\n"
                                       f"    {setting}\n"))
    assert f"line 4, {field}:" in message


@pytest.mark.parametrize("fields", ["{story: text, highlights: text}",
                                    "{highlights: article}"])
def test_highlights_mapped_to_the_story_column_are_refused(tmp_path, fields):
    """`fields: {highlights: article}` scored each summary against its own story."""
    (tmp_path / "d.jsonl").write_text('{"id": "a", "article": "A.", "text": "A."}\n')
    message = error_of(write(tmp_path, f"name: t\ndataset:\n  source: hf\n  path: d.jsonl\n"
                                       f"  fields: {fields}\nsummarizers: [{{type: lead}}]\n"))
    assert "line 5, dataset.fields: " in message
    assert "highlights and story both name the column" in message


@pytest.mark.parametrize("body, where, says", [
    ("summarizers: {type: lead}\n", "line 2, summarizers: ", "Put `- ` before it"),
    ("summarizers:\n", "line 2, summarizers: ", "a list is needed here"),
    ("summarizers: [lead]\n", "line 2, summarizers[0]: ", "e.g. `{type: lead}`"),
    ("summarizers: [{type: lead}]\nmetrics: {rouge: {types: rouge1}}\n",
     "line 3, metrics.rouge.types: ", "a list is needed here"),
])
def test_a_list_written_as_one_item_says_how_to_write_a_list(tmp_path, body, where, says):
    """pydantic said "Input should be a valid tuple" for `summarizers: {type: lead}`."""
    message = error_of(write(tmp_path, "name: t\n" + body))
    assert where in message and says in message and "tuple" not in message


def test_a_rouge_type_listed_twice_is_refused(tmp_path):
    message = error_of(write(tmp_path, "name: t\nsummarizers: [{type: lead}]\n"
                                       "metrics: {rouge: {types: [rouge1, rouge2, rouge1]}}\n"))
    assert "line 3, metrics.rouge.types: " in message and "rouge1 listed twice" in message
