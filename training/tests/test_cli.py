"""The training CLI's failure paths, run for real: a clear message, exit 2, nothing published."""

from __future__ import annotations

import dataclasses

import pytest

from pricing_training import cli, export
from pricing_training.cli import main


def test_train_reports_a_failed_self_check_and_writes_no_version(small_data, tmp_path, monkeypatch, capsys):
    data, truth = small_data
    # A bound no export can meet: the real pipeline's real self-check must fail, and say so.
    monkeypatch.setitem(export.GOLDEN_TOLERANCE, "feedforward", -1.0)
    # The failure path does not need good models: a smaller nuisance budget keeps the run short.
    monkeypatch.setitem(cli.PRESETS, "quick", dataclasses.replace(cli.PRESETS["quick"], response_trees=30,
                                                                  lgbm_max_estimators=30, nn_max_epochs=2))
    out = tmp_path / "models"
    code = main(["train", "--data", str(data), "--ground-truth", str(truth), "--out", str(out), "--mode", "quick",
                 "--nn-trials", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: the exported models failed their self-check" in err and "mlp" in err, err
    assert "Traceback" not in err
    leftovers = [p.name for p in out.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(".") and leftovers[0].endswith(".partial"), leftovers
    assert leftovers[0] in err  # the message says where the partial output is
    assert not (out / "LATEST").exists()
    partial = out / leftovers[0]
    assert (partial / "price_response.safetensors").exists()  # what was written is there to inspect
    assert not (partial / "report.json").exists()  # nothing after the failed check ran


def test_loop_refuses_fewer_weeks_than_its_first_checkpoint(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["loop", "--weeks", "3", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "--weeks must be at least 4, got 3" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # refused before any world was built


@pytest.mark.parametrize("setting, message", [
    ("no_such_setting=1", "'no_such_setting' is not a price-response setting"),
    ("truncated_curvature_spread=median", "truncated_curvature_spread must be 'mle', 'floor', 'integrated'"),
    ("truncated_curvature_spread", "'truncated_curvature_spread' is not FIELD=VALUE"),
])
def test_loop_refuses_a_price_response_setting_it_cannot_use(tmp_path, capsys, setting, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["loop", "--response", setting, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # refused before any world was built


def test_response_settings_parse_literals_and_bare_words():
    from pricing_training.response_config import ResponseConfig, with_settings

    cfg = with_settings(["truncated_curvature_spread=supported", "draws=32", "within_week_orders=False"], trees=80)
    assert cfg == ResponseConfig(trees=80, draws=32, within_week_orders=False, truncated_curvature_spread="supported")
