"""Settings: every knob is documented and read from CROSSCHECK_* variables."""

from __future__ import annotations

import pytest

from service.config import Settings
from service.core import Crosscheck


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_a_description(name: str) -> None:
    description = Settings.model_fields[name].description
    assert description and len(description) > 10, f"Settings.{name} is undocumented"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_MAX_BATCH", "7")
    monkeypatch.setenv("CROSSCHECK_DATABASE_URL", "sqlite:///elsewhere.db")
    settings = Settings()
    assert settings.max_batch == 7
    assert settings.database_url == "sqlite:///elsewhere.db"


def test_a_database_url_of_another_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_DATABASE_URL", "mysql://root@localhost/db")
    with pytest.raises(ValueError, match="sqlite"):
        Settings()


def test_judge_thresholds_are_checked_and_reach_the_judge(
    core: Crosscheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.judge import Judge

    monkeypatch.setenv("CROSSCHECK_JUDGE_THRESHOLDS", '{"cue_gate": 0.7}')
    assert Settings().judge_thresholds == {"cue_gate": 0.7}
    with pytest.raises(ValueError, match="valid: "):
        Settings(judge_thresholds={"cue_gates": 0.7})
    with pytest.raises(ValueError, match="between 0 and 1"):
        Settings(judge_thresholds={"cue_gate": 7})
    judge = Judge(core.models.nlp, core.models.embedder, overrides={"cue_gate": 0.7})
    assert judge.thresholds.cue_gate == 0.7
