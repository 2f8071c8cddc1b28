import re
from pathlib import Path

import pytest

from mlpkg.config import load_config, parse_config, save_config
from mlpkg.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    cfg = load_config(path)
    assert cfg.model["name"]


def test_unknown_top_level_key_names_key_allowed_keys_and_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: classify\nmodle: {name: tfidf_linear.v1}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown key 'modle'; allowed keys: .*'model'"):
        load_config(bad)


def test_unknown_nested_key_is_named_with_its_path(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {name: tfidf_linear.v1}\ndata: {path: data/topics.parquet, txt_field: body}\n")
    with pytest.raises(ConfigError, match=r"unknown key 'data\.txt_field'"):
        load_config(bad)


def test_unknown_model_parameter_lists_allowed_parameters(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {name: tfidf_linear.v1, C_value: 2}\n")
    with pytest.raises(ConfigError, match=r"model\.C_value: unknown parameter .*allowed: .*'C'"):
        load_config(bad)


def test_model_labels_is_refused_for_data_labels():
    with pytest.raises(ConfigError, match=r"model.labels: a run's label set is data.labels"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", ["model.labels=[umkm]"])


def test_bad_choice_names_allowed_values():
    with pytest.raises(ConfigError, match=r"model\.head: must be one of 'logreg', 'linear_svc', 'complement_nb'"):
        parse_config({"model": {"name": "tfidf_linear.v1", "head": "random_forest"}}, "x.yaml")
    with pytest.raises(ConfigError,
                       match=r"thresholds\.objective must be one of 'f1', 'f1_calibrated', 'min_precision'"):
        parse_config({"model": {"name": "tfidf_linear.v1"}, "thresholds": {"objective": "auc"}}, "x.yaml")


def test_wrong_type_and_unknown_model_name():
    with pytest.raises(ConfigError, match=r"seed must be of type int, got 'zero'"):
        parse_config({"model": {"name": "tfidf_linear.v1"}, "seed": "zero"}, "x.yaml")
    with pytest.raises(ConfigError, match=r"unknown name 'svm\.v9'; registered: .*'tfidf_linear\.v1'"):
        parse_config({"model": {"name": "svm.v9"}}, "x.yaml")
    with pytest.raises(ConfigError, match=r"model\.C: must be >= 1e-06"):
        parse_config({"model": {"name": "tfidf_linear.v1", "C": -1}}, "x.yaml")


def test_dotted_overrides_and_saved_config_round_trip(tmp_path):
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", ["model.C=0.25", "data.labels=[umkm]", "seed=3"])
    assert (cfg.model["C"], cfg.data.labels, cfg.seed) == (0.25, ["umkm"], 3)
    save_config(cfg, tmp_path / "resolved.yaml")
    assert load_config(tmp_path / "resolved.yaml") == cfg


def test_malformed_override_is_explained():
    with pytest.raises(ConfigError, match="must look like key.sub=value"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", ["model.C"])


def test_override_reads_exponent_floats():
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", ["model.C=5e-1", "output_dir=models/x"])
    assert cfg.model["C"] == 0.5 and cfg.output_dir == "models/x"


def test_error_from_an_override_names_the_override_not_the_file():
    with pytest.raises(ConfigError, match=r"^\[E001\] --set thresholds\.objective=auc: thresholds\.objective must be"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", ["thresholds.objective=auc"])
    with pytest.raises(ConfigError, match=r"^\[E001\] --set model\.name=svm\.v9: model\.name: unknown name"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", ["model.name=svm.v9"])


def test_error_in_the_file_still_names_the_file_beside_an_override(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {name: tfidf_linear.v1, C: -1}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: model\.C: must be >="):
        load_config(bad, ["seed=3"])


@pytest.mark.parametrize("ngrams, key", [("[3, 1]", "word_ngrams"), ("['a']", "word_ngrams"), ("[2]", "word_ngrams"),
                                         ("[0, 2]", "char_ngrams"), ("[5, 3]", "char_ngrams")])
def test_list_parameters_are_validated_at_config_load(ngrams, key):
    """Regression: word_ngrams [3, 1] passed the config check and died in scikit-learn; ['a'] a bare TypeError."""
    rule = "a list of 2 ints" if key == "word_ngrams" else "a list of 0 or 2 ints"
    expected = f"--set model.{key}={ngrams}: model.{key}: must be {rule}, each >= 1, in ascending order, got {ngrams}"
    with pytest.raises(ConfigError, match=f"^{re.escape('[E001] ' + expected)}$"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", [f"model.{key}={ngrams}"])


def test_config_with_several_mistakes_reports_all_of_them(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: classify\n"
                   "modle: {name: tfidf_linear.v1}\n"  # 1: unknown key
                   "evaluation: {protocol: kfold}\n"  # 2: not one of the choices
                   "model: {name: tfidf_linear.v1, word_ngrams: [3, 1], C: -1}\n")  # 3 and 4: two parameters
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    message = str(caught.value)
    assert message.startswith("[E001] 4 problems in the config:\n")
    assert len(caught.value.problems) == 4 and message.count("\n  - ") == 4
    for expected in ("unknown key 'modle'; allowed keys: 'task', 'data', 'model'",
                     "evaluation.protocol must be one of 'split', 'cv', got 'kfold'",
                     "model.word_ngrams: must be a list of 2 ints, each >= 1, in ascending "
                     "order, got [3, 1]",
                     "model.C: must be >= 1e-06, got -1.0"):
        assert f"  - {bad}: {expected}" in message
