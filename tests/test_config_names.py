"""Misspelt names below the top level (metric families, ROUGE settings and types, checks):
each error names the file, the line, the field and the closest valid name."""

import pytest

from summcheck.config import load_config
from summcheck.errors import ConfigError


@pytest.mark.parametrize("section, field, suggestion, allowed", [
    ("metrics: {rouge: {use_stemming: true}}", "metrics.rouge.use_stemming", "use_stemmer",
     "backend, tokenizer, types, use_stemmer"),
    ("metrics: {rogue: {}}", "metrics.rogue", "rouge", "coverage, rouge"),
    ("checks: {entity: {model: en_core_web_sm}}", "checks.entity", "entities",
     "entities, likelihood, numbers, relations, support"),
    ("checks: {numbers: {tolerence: 0.1}}", "checks.numbers.tolerence", "tolerance", "tolerance"),
])
def test_unknown_key_in_a_nested_section(tmp_path, section, field, suggestion, allowed):
    path = tmp_path / "bench.yaml"
    path.write_text(f"name: t\nsummarizers: [{{type: lead}}]\n{section}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and f"line 3, {field}: unknown key." in message
    assert f"Did you mean '{suggestion}'?" in message
    assert f"Allowed keys here: {allowed}." in message


@pytest.mark.parametrize("section, field, suggestion", [
    ("metrics: {rouge: {types: [rouge1, rougeLSum]}}", "metrics.rouge.types[1]", "rougeLsum"),
    ("metrics: {rouge: {tokenizer: unicod}}", "metrics.rouge.tokenizer", "unicode"),
    ("summarizers: [{type: oracle, metric: rouge1+rogue2}]", "summarizers[0].metric", "rouge1+rouge2"),
])
def test_unknown_choice_suggests_the_closest(tmp_path, section, field, suggestion):
    path = tmp_path / "bench.yaml"
    path.write_text(f"name: t\n{section}\n" + ("" if "summarizers" in section
                                               else "summarizers: [{type: lead}]\n"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and f"line 2, {field}: Input should be" in message
    assert f"Did you mean '{suggestion}'?" in message
