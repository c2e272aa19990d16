"""The README's examples run: its suppression example, its config, its GitHub workflow's
gofixleak commands and its sample annotation, its pre-commit config, and the shipped
.pre-commit-hooks.yaml. These use the real rules, as a reader of the README would."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from gofixleak import config, registry
from gofixleak.cli import app
from tests.fake_rule import INFO, detect, rename

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def example(name: str) -> str:
    """The fenced block right after ``<!-- example: NAME -->``."""
    match = re.search(rf"<!-- example: {name} -->\n```\w*\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no example {name!r}"
    return match.group(1)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "-j", "1"])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (tmp_path / "poller").mkdir()
    monkeypatch.chdir(tmp_path)
    config.clear_cache()
    return tmp_path


def without_directive(go: str) -> str:
    return go.replace("//gofixleak:ignore endless-goroutine-loop", "// no directive:")


def test_the_suppression_example_is_silenced_and_kept_in_sarif(repo: Path) -> None:
    go = example("suppression")
    (repo / "poller" / "poller.go").write_text(go)
    assert run("./...")[:2] == (0, "")
    log = json.loads(run("--format", "sarif", "./...")[1])
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "endless-goroutine-loop"
    (suppression,) = result["suppressions"]
    assert suppression["justification"] == "polls for the life of the process, by design"
    (repo / "poller" / "poller.go").write_text(without_directive(go))
    code, out, _ = run("./...")
    assert code == 1 and out.startswith("poller/poller.go:9:3: endless-goroutine-loop: ")


def test_the_sample_annotation_is_what_github_format_prints(repo: Path) -> None:
    (repo / "poller" / "poller.go").write_text(without_directive(example("suppression")))
    sample = re.search(r"^::warning .*$", README, re.MULTILINE)
    assert sample is not None
    (line,) = run("--format", "github", "./...")[1].splitlines()
    properties = sample.group(0).rsplit("::", 1)[0]
    assert line.startswith(properties + "::goroutine loops forever")


def test_the_workflow_runs_gofixleak_as_written(repo: Path) -> None:
    (repo / "poller" / "poller.go").write_text(without_directive(example("suppression")))
    workflow = yaml.safe_load(example("workflow"))
    steps: list[dict[str, Any]] = workflow["jobs"]["gofixleak"]["steps"]
    commands = [s["run"] for s in steps if s.get("run", "").startswith("gofixleak ")]
    assert len(commands) == 2
    for command in commands:
        args = shlex.split(command.split(">")[0], comments=True)[1:]
        code, out, _ = run(*args)
        assert code == 1  # a finding fails the step; the SARIF upload runs anyway (always())
        if "sarif" in args:
            assert json.loads(out)["runs"][0]["results"][0]["ruleId"] == "endless-goroutine-loop"
        else:
            assert out.startswith("::warning file=poller/poller.go,")
    upload = [s for s in steps if "upload-sarif" in s.get("uses", "")]
    assert upload and upload[0]["with"]["sarif_file"] == "gofixleak.sarif"
    assert upload[0]["if"] == "always()"


def test_the_config_example_loads_and_means_what_it_says(repo: Path) -> None:
    (repo / config.FILENAME).write_text(example("config"))
    loaded = config.find(".")
    assert loaded is not None and loaded.unsafe_fixes is False
    every = set(registry.rule_names())
    plain = set(loaded.enabled(str(repo / "pkg" / "a.go"), config.Selection()))
    legacy = set(loaded.enabled(str(repo / "legacy" / "b" / "a.go"), config.Selection()))
    assert every - plain == {"orphaned-receiver"}
    assert every - legacy == {"orphaned-receiver", "leaky-time-tick"}
    assert loaded.go_version_for(str(repo / "pkg" / "a.go")) == (1, 22)
    assert loaded.go_version_for(str(repo / "legacy" / "a.go")) == (1, 20)
    assert loaded.is_excluded(str(repo / "third_party" / "x" / "y.go"))
    assert loaded.is_excluded(str(repo / "pkg" / "api_gen.go"))
    assert not loaded.is_excluded(str(repo / "pkg" / "api.go"))
    assert run(".")[0] == 0


def test_the_config_error_shown_in_the_readme(repo: Path) -> None:
    shown = re.search(r"\(`(\.gofixleak\.toml:3: unknown rule .*?): \.\.\.`\)", README)
    assert shown is not None
    (repo / config.FILENAME).write_text('# config\nselect = []\nignore = ["leaky-tick"]\n')
    code, _, err = run(".")
    assert code == 2 and f"gofixleak: {repo / shown.group(1)}: " in err


def test_the_hooks_run_gofixleak_check(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}
    assert set(hooks) == {"gofixleak", "gofixleak-fix"}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["types"] == ["go"]
        assert shlex.split(hook["entry"])[0] in scripts
    monkeypatch.setattr(registry, "all_rules", lambda: (registry.Rule(INFO, detect, rename),))
    target = repo / "poller" / "a.go"
    target.write_text("package poller\n\nfunc f() {\n\tleak()\n}\n")
    check = shlex.split(hooks["gofixleak"]["entry"])[1:]
    assert run(*check, "poller/a.go")[0] == 1
    fix = shlex.split(hooks["gofixleak-fix"]["entry"])[1:]
    assert run(*fix, "poller/a.go")[0] == 0 and "stop()" in target.read_text()
    assert run(*check, "poller/a.go")[0] == 0


def test_the_pre_commit_example_names_shipped_hooks() -> None:
    shipped = {h["id"] for h in yaml.safe_load(HOOKS.read_text())}
    (repo_entry,) = yaml.safe_load(example("pre-commit"))["repos"]
    assert {h["id"] for h in repo_entry["hooks"]} <= shipped


def test_the_check_and_json_examples_are_what_the_bundled_example_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    console = example("check").splitlines()
    assert console[0] == "$ gofixleak examples/"
    code, out, err = run("examples/")
    assert code == 1
    assert out.splitlines() + err.splitlines() == console[1:]
    code, out, _ = run("--format", "json", "--select", "leaky-time-tick", "examples/")
    assert json.loads(out) == json.loads(example("json"))
