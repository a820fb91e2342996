"""The training CLI's failure paths, run for real: a clear message, exit 2, nothing published."""

from __future__ import annotations

from pricing_training import export
from pricing_training.cli import main


def test_train_reports_a_failed_self_check_and_writes_no_version(small_data, tmp_path, monkeypatch, capsys):
    data, _ = small_data
    # A bound no export can meet: the real pipeline's real self-check must fail, and say so.
    monkeypatch.setitem(export.GOLDEN_TOLERANCE, "feedforward", -1.0)
    out = tmp_path / "models"
    code = main(["train", "--data", str(data), "--out", str(out), "--mode", "quick", "--nn-trials", "1", "--gp-calls", "3"])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: the exported models failed their self-check" in err and "mlp" in err, err
    assert "Traceback" not in err
    leftovers = [p.name for p in out.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(".") and leftovers[0].endswith(".partial"), leftovers
    assert leftovers[0] in err  # the message says where the partial output is
    assert not (out / "LATEST").exists()
