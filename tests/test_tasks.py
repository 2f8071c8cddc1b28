"""The task dispatcher (mlpkg.tasks): what ``mlpkg train`` and ``mlpkg cv`` run for each task."""

from pathlib import Path

import pytest

from mlpkg.cli import main as cli_main
from mlpkg.config import load_config
from mlpkg.errors import ConfigError
from mlpkg.tasks import cv

ROOT = Path(__file__).resolve().parents[1]


def test_cv_of_a_summariser_config_names_the_task_instead_of_a_missing_tags_column(tmp_path, capsys):
    """Regression: ``mlpkg cv`` on a summariser config read IndoSum as labelled topics and failed on a
    missing ``tags`` column."""
    cfg = load_config(ROOT / "configs" / "summary_lead.yaml")
    with pytest.raises(ConfigError, match=r"^\[E001\] mlpkg cv cross-validates classifiers \(task: classify\)"):
        cv(cfg, "all", tmp_path)
    assert cli_main(["cv", "--config", str(ROOT / "configs" / "summary_lead.yaml"), "--output", str(tmp_path)]) == 2
    assert "mlpkg cv: error: [E001] mlpkg cv cross-validates classifiers" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
