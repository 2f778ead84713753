"""[tool.tally.review] settings: what the review reads from a project's configuration."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tally.config import ConfigError
from tally.review.settings import ReviewSettings


def _settings(tmp_path, **review):
    return ReviewSettings.from_config(SimpleNamespace(review=review, project_dir=tmp_path))


def test_ignore_columns_are_read_lower_cased(tmp_path):
    assert _settings(tmp_path, ignore_columns=["Processed_At"]).ignore_columns == ["processed_at"]
    assert _settings(tmp_path).ignore_columns == []


@pytest.mark.parametrize("value", ["processed_at", [1], {"processed_at": True}])
def test_ignore_columns_must_be_a_list_of_names(tmp_path, value):
    with pytest.raises(ConfigError, match="ignore_columns must be a list of column names"):
        _settings(tmp_path, ignore_columns=value)
