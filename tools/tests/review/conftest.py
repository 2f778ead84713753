"""`tally review` on a temporary git repository holding a copy of the project.

The repository is made once per session from the project's files as they are on disk (those git
tracks and new ones not yet added; never data, build or target), committed as `main`. Each scenario edits the working tree, runs
`tally review --base main` through the real command line at the tiny scale, and puts the tree
back. The review's raw data is the session's tiny data set (same seed and scale as the
project's `prepare` hook would make), and its base build is cached in the repository's
build/review/, so only the first scenario pays for it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
SCALE = os.environ.get("TALLY_TEST_SCALE", "0.002")
GIT = {"GIT_AUTHOR_NAME": "tally tests", "GIT_AUTHOR_EMAIL": "tests@tally.invalid",
       "GIT_COMMITTER_NAME": "tally tests", "GIT_COMMITTER_EMAIL": "tests@tally.invalid"}


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                               env={**os.environ, **GIT})
    assert completed.returncode == 0, f"git {' '.join(args)}: {completed.stderr}"
    return completed.stdout


@dataclass
class Review:
    """One run of `tally review`: its exit code, JSON report, Markdown and stderr."""

    exit_code: int
    report: dict | None
    markdown: str
    stderr: str

    def metric(self, name: str) -> dict:
        return next(m for m in self.report["numbers"]["metrics"] if m["name"] == name)


class ReviewRepo:
    def __init__(self, path: Path) -> None:
        self.path = path

    def file(self, relative: str) -> Path:
        return self.path / relative

    def edit(self, relative: str, old: str, new: str, count: int = 1) -> None:
        path = self.file(relative)
        text = path.read_text()
        assert old in text, f"{relative} no longer contains {old!r}: update the scenario"
        path.write_text(text.replace(old, new, count))

    def drop_lines(self, relative: str, pattern: str) -> None:
        path = self.file(relative)
        lines = path.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not re.search(pattern, line)]
        assert len(kept) < len(lines), f"{relative}: no line matches {pattern!r}"
        path.write_text("".join(kept))

    def drop_yaml_item(self, relative: str, name: str) -> None:
        """Remove the `- name: <name>` item (and its nested lines) from a YAML list."""
        path = self.file(relative)
        out, skipping, indent = [], False, 0
        for line in path.read_text().splitlines(keepends=True):
            stripped = line.lstrip()
            depth = len(line) - len(stripped)
            if re.match(rf"- name: {re.escape(name)}\s*$", stripped):
                skipping, indent = True, depth
                continue
            if skipping and stripped and (depth < indent or (depth == indent and stripped.startswith("- "))):
                skipping = False
            if not skipping:
                out.append(line)
        path.write_text("".join(out))

    def move(self, old: str, new: str) -> None:
        git(self.path, "mv", old, new)

    def replace_everywhere(self, old: str, new: str, folders=("models", "tests", "analyses", "macros")) -> int:
        """Rename a word in every SQL and YAML file of the project, as a refactoring would."""
        changed = 0
        for folder in folders:
            for path in sorted((self.path / folder).rglob("*")) if (self.path / folder).exists() else []:
                if path.suffix in (".sql", ".yml", ".yaml") and path.is_file():
                    text = path.read_text()
                    replaced = re.sub(rf"\b{re.escape(old)}\b", new, text)
                    if replaced != text:
                        path.write_text(replaced)
                        changed += 1
        return changed

    def reset(self) -> None:
        git(self.path, "reset", "--quiet", "--hard", "main")
        git(self.path, "clean", "--quiet", "-fd")  # untracked files; build/ is ignored and kept

    def review(self, *args: str, base: str = "main") -> Review:
        out = self.path / "build" / "test-review"
        out.mkdir(parents=True, exist_ok=True)
        json_path, markdown_path = out / "review.json", out / "review.md"
        for path in (json_path, markdown_path):
            if path.exists():
                path.unlink()
        command = [str(BIN / "tally"), "review", "--base", base, "--scale", SCALE, "--project-dir", str(self.path),
                   "--output", str(markdown_path), "--json-output", str(json_path), *args]
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("DBT_", "TALLY_"))}  # the review sets up each side itself
        completed = subprocess.run(command, cwd=self.path, env=env, capture_output=True, text=True, timeout=900)
        report = json.loads(json_path.read_text()) if json_path.exists() else None
        markdown = markdown_path.read_text() if markdown_path.exists() else ""
        return Review(completed.returncode, report, markdown, completed.stderr)


@pytest.fixture(scope="session")
def review_repo(tmp_path_factory, tiny_raw) -> ReviewRepo:
    path = tmp_path_factory.mktemp("review") / "project"
    path.mkdir()
    # The files git tracks, and new ones not yet added (not ignored: no data, build or target).
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True).stdout
    for name in tracked.decode().split("\0"):
        source = ROOT / name
        if not name or not source.is_file():  # deleted in the working tree
            continue
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, path / name)
    # sqlfluff (dbt templater) costs a dbt compile per review; one scenario turns it back on.
    pyproject = path / "pyproject.toml"
    text = pyproject.read_text()
    assert "[tool.tally.review]\n" in text, "pyproject.toml has no [tool.tally.review] section"
    pyproject.write_text(text.replace("[tool.tally.review]\n", "[tool.tally.review]\nsqlfluff = false\n", 1))
    git(path, "init", "--quiet", "--initial-branch", "main")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "--message", "the project as the tests found it")
    raw = path / "build" / "review" / f"raw-sf{SCALE}"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.symlink_to(tiny_raw, target_is_directory=True)
    return ReviewRepo(path)


@pytest.fixture
def repo(review_repo):
    """The review repository, put back as committed after the test."""
    review_repo.reset()
    yield review_repo
    review_repo.reset()
