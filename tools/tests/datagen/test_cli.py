"""The command line: clean errors (no traceback), refusal to overwrite, summary output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datagen.cli import main

TOOLS = Path(__file__).resolve().parents[2]


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(TOOLS))
    return subprocess.run([sys.executable, "-m", "datagen", *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120)


@pytest.mark.parametrize("args", [
    ["generate", "--scale", "-1"],
    ["generate", "--scale", "abc"],
    ["generate", "--scale", "0"],
    ["generate", "--seed", "-3"],
    ["generate", "--defects", "nonsense"],
    ["generate", "--defect-rate", "2"],
    ["generate", "--workers", "0"],
    ["append", "--batch", "0"],
    ["append"],
    ["frobnicate"],
])
def test_bad_arguments_exit_2(args, tmp_path, capsys):
    # In-process (fast); the subprocess test below checks the real exit path once.
    argv = [*args, "--out", str(tmp_path / "x")] if args[0] == "generate" else args
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_negative_scale_in_a_real_process(tmp_path):
    result = run("generate", "--scale", "-1", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--scale: must be between" in result.stderr


def test_generate_refuses_non_empty_output_then_force(tmp_path):
    out = tmp_path / "raw"
    first = run("generate", "--scale", "0.001", "--out", str(out), "--no-progress")
    assert first.returncode == 0, first.stderr
    assert "shop.orders" in first.stdout and "rows" in first.stdout
    stray = out / "notes.txt"
    stray.write_text("keep me")
    again = run("generate", "--scale", "0.001", "--out", str(out), "--no-progress")
    assert again.returncode == 1
    assert "not empty" in again.stderr and "--force" in again.stderr and "Traceback" not in again.stderr
    forced = run("generate", "--scale", "0.001", "--seed", "7", "--out", str(out), "--force", "--no-progress")
    assert forced.returncode == 0, forced.stderr
    assert json.loads((out / "_manifest.json").read_text())["seed"] == 7
    assert stray.read_text() == "keep me"  # --force replaces only what the tool wrote


def test_append_without_manifest_is_a_clean_error(tmp_path):
    result = run("append", "--out", str(tmp_path), "--batch", "1")
    assert result.returncode == 1 and "no _manifest.json" in result.stderr and "Traceback" not in result.stderr


def test_progress_goes_to_stderr(tmp_path):
    result = run("generate", "--scale", "0.001", "--out", str(tmp_path / "p"))
    assert result.returncode == 0
    assert "generating" in result.stderr and "generating" not in result.stdout


def test_seeds_command(tmp_path):
    result = run("seeds", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["countries.csv", "currencies.csv", "fx_rates.csv"]
