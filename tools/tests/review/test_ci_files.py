"""The pull-request workflow and the pre-commit configuration: valid YAML that does what the
README says (run the tests, post `tally review`; run sqlfluff and tally)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tally.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / ".github" / "workflows" / "review.yml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict]:
    jobs = _workflow()["jobs"]
    assert len(jobs) == 1
    return next(iter(jobs.values()))["steps"]


def test_every_workflow_is_valid_yaml_with_jobs():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    assert WORKFLOW in workflows
    for path in workflows:
        data = yaml.safe_load(path.read_text())
        triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
        assert triggers, f"{path.name}: no trigger"
        assert data.get("jobs"), f"{path.name}: no jobs"
        for job in data["jobs"].values():
            assert job.get("runs-on") and job.get("steps"), f"{path.name}: a job without runs-on or steps"
            for step in job["steps"]:
                assert ("uses" in step) != ("run" in step), f"{path.name}: a step needs exactly one of uses/run"
                if "uses" in step:
                    assert re.match(r"^[\w.-]+/[\w.-]+@v\d+", step["uses"]), f"unpinned action {step['uses']}"


def test_the_review_workflow_runs_the_tests_then_posts_tally_review():
    data = _workflow()
    assert "pull_request" in data.get("on", data.get(True))
    assert data["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = _steps()
    runs = [step.get("run", "") for step in steps]
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the base branch must be in the clone

    test_step = next(i for i, run in enumerate(runs) if ".ci/run" in run or "make test" in run)
    if ".ci/run" in runs[test_step]:
        assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    review_step = next(i for i, run in enumerate(runs) if "tally review" in run)
    post_step = next(i for i, run in enumerate(runs) if "gh pr comment" in run)
    assert test_step < review_step < post_step

    review = runs[review_step]
    assert '--base "origin/${{ github.base_ref }}"' in review
    assert "--format markdown" in review
    assert "always()" in steps[post_step]["if"]
    assert steps[post_step]["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_the_workflow_calls_tally_review_with_options_it_has():
    review = next(step["run"] for step in _steps() if "tally review" in step.get("run", ""))
    line = " ".join(review.split("\\\n"))
    command = next(part for part in line.splitlines() if "tally review" in part)
    words = shlex.split(EXPRESSION.sub("main", command))
    args = words[words.index("review"):]
    parsed = build_parser().parse_args(args)
    assert parsed.base == "origin/main" and parsed.format == "markdown"


def test_the_workflows_shell_steps_are_valid_bash():
    for step in _steps():
        if "run" in step:
            script = EXPRESSION.sub("x", step["run"])
            checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
            assert checked.returncode == 0, f"{step.get('name')}: {checked.stderr}"


def test_pre_commit_runs_sqlfluff_on_models_and_tally():
    config = yaml.safe_load(PRE_COMMIT.read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"sqlfluff-lint", "tally-check"} <= set(hooks)
    for hook in hooks.values():
        assert {"id", "name", "entry", "language"} <= set(hook)
        re.compile(hook.get("files", ""))
        shlex.split(hook["entry"])  # pre-commit splits the entry the same way
        tools = re.findall(r"\.venv/bin/([\w-]+)", hook["entry"])
        assert tools, f"{hook['id']}: runs no tool from .venv"
        for tool in tools:  # the project's pinned tools, as `make env` installs them
            assert (Path(sys.executable).parent / tool).exists(), f"{hook['id']}: {tool} is not installed"
    sqlfluff = hooks["sqlfluff-lint"]
    assert "sqlfluff lint" in sqlfluff["entry"]
    script = shlex.split(sqlfluff["entry"])
    if script[:2] == ["bash", "-c"]:
        checked = subprocess.run(["bash", "-n"], input=script[2], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    assert re.search(sqlfluff["files"], "models/marts/sales/fct_orders.sql")
    assert not re.search(sqlfluff["files"], "macros/convert_currency.sql")
    tally = hooks["tally-check"]
    assert "tally check" in tally["entry"] and tally["pass_filenames"] is False
