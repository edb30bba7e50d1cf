"""dataflow-rules.yaml: options stated once at the repository root (issue 15, item 1).

A repository with a config file, scanned with no flags, must give what the same flags give;
unknown keys are errors naming file and line, every one at once; `facts:` is kept raw with
its place for the decision's facts file; --show-config says where each value came from;
--create-config writes a file that reproduces the flags.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dataflow_rules.scan.config import ConfigErrors, find_config, load_config, merge

from .helpers import EXAMPLES, run

CONFIG = """\
# The pipeline repository's scan options.
paths: [manifests]
exclude: [manifests/other/]
format: [json:out/scan.json, sarif:out/scan.sarif]
fail-on: review
waivers: manifests/waivers.yaml
origin: US
destination: [CN]
skip-check: [unmapped-label]
facts:
  # Valid facts that change nothing here, so the flags (which state none) give the same.
  exporter: {zone: null}
"""
FLAGS = [
    "manifests",
    "--exclude",
    "manifests/other/",
    "-f",
    "json:out/scan.json",
    "-f",
    "sarif:out/scan.sarif",
    "--fail-on",
    "review",
    "--waivers",
    "manifests/waivers.yaml",
    "--origin",
    "US",
    "--destination",
    "CN",
    "--skip-check",
    "unmapped-label",
    "--no-progress",
]


def _repo(root: Path, config: str | None) -> Path:
    root.mkdir()
    (root / ".git").mkdir()  # the repository root, as find_config looks for it
    shutil.copytree(EXAMPLES, root / "manifests")
    (root / "out").mkdir()
    if config is not None:
        (root / "dataflow-rules.yaml").write_text(config)
    return root


def _files(report: Path) -> list[dict[str, object]]:
    return [f for f in json.loads(report.read_text())["files"] if f["path"] != "dataflow-rules.yaml"]


def test_a_config_file_with_no_flags_scans_as_the_flags_do(tmp_path: Path) -> None:
    with_file = _repo(tmp_path / "with", CONFIG)
    with_flags = _repo(tmp_path / "flags", None)
    a = run("scan", cwd=with_file)
    b = run("scan", *FLAGS, cwd=with_flags)
    assert a.returncode == b.returncode == 4, (a.stderr, b.stderr)
    assert (with_file / "out/scan.sarif").read_bytes() == (with_flags / "out/scan.sarif").read_bytes()
    files = _files(with_file / "out/scan.json")
    assert files == _files(with_flags / "out/scan.json")
    assert not any(f["path"].endswith("other/ci-config.yaml") for f in files)  # type: ignore[union-attr]
    report = json.loads((with_file / "out/scan.json").read_text())
    assert report["deselected"] > 0 and report["fail_on"] == "review" and report["exit_code"] == 4


def test_flags_win_over_the_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", CONFIG)
    done = run("scan", "--fail-on", "never", "--no-progress", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert json.loads((repo / "out/scan.json").read_text())["fail_on"] == "never"


def test_unknown_keys_are_errors_with_file_and_line_all_at_once(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", CONFIG.replace("fail-on: review", "fail_on: review") + "colour: true\n")
    done = run("scan", "--no-progress", cwd=repo)
    assert done.returncode == 5
    lines = done.stderr.decode().splitlines()
    assert lines[0].startswith("error: dataflow-rules.yaml:5:1: fail_on: unknown option 'fail_on'")
    assert lines[1].startswith("error: dataflow-rules.yaml:13:1: colour: unknown option 'colour'")
    assert len(lines) == 2 and not (repo / "out/scan.json").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fail-on: sometimes\n", "dataflow-rules.yaml:1:"),
        ("paths: 7\n", "dataflow-rules.yaml:1:"),
        ("- scan\n", "a config file is a mapping"),
        ("paths: [a\n", "dataflow-rules.yaml:"),
    ],
)
def test_bad_values_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "dataflow-rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigErrors) as caught:
        load_config(path, "dataflow-rules.yaml")
    assert message in caught.value.lines[0]


def test_facts_are_kept_raw_with_their_place(tmp_path: Path) -> None:
    path = tmp_path / "dataflow-rules.yaml"
    path.write_text(CONFIG)
    loaded = load_config(path, "dataflow-rules.yaml")
    assert loaded.facts == {"exporter": {"zone": None}}
    assert loaded.facts_location is not None and loaded.facts_location.line == 10
    # Not validated here: any mapping is accepted for the decision's facts file to judge.
    path.write_text("facts:\n  anything: [1, 2]\n")
    assert load_config(path, "x").facts == {"anything": [1, 2]}


def test_the_config_is_found_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "dataflow-rules.yaml").write_text("fail-on: never\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert find_config(tmp_path / "a" / "b") == tmp_path / "dataflow-rules.yaml"
    (tmp_path / "dataflow-rules.yaml").unlink()
    assert find_config(tmp_path / "a" / "b") is None


def test_relative_paths_are_the_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "dataflow-rules.yaml"
    path.write_text("waivers: w.yaml\npaths: [m]\n")
    merged = merge({}, load_config(path, "sub/dataflow-rules.yaml"), set())
    assert merged["waivers"].value == tmp_path / "sub" / "w.yaml"
    assert merged["paths"].value == [tmp_path / "sub" / "m"]
    assert merged["waivers"].source == "sub/dataflow-rules.yaml:1"
    assert merged["fail-on"].source == "default"


def test_show_config_says_where_each_value_came_from(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", CONFIG)
    done = run("scan", "--show-config", "--quiet", cwd=repo)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode().splitlines()
    assert out[0] == "# config file: dataflow-rules.yaml"
    assert "fail-on: review  # dataflow-rules.yaml:5" in out
    assert "quiet: true  # command line" in out
    assert "compact: false  # default" in out
    assert "waivers: manifests/waivers.yaml  # dataflow-rules.yaml:6" in out
    assert any(line.startswith("# facts: 1 keys at dataflow-rules.yaml:10") for line in out)
    assert not (repo / "out/scan.json").exists()  # nothing scanned


def test_create_config_writes_the_flags_and_reproduces_them(tmp_path: Path) -> None:
    flags_repo = _repo(tmp_path / "flags", None)
    done = run("scan", *FLAGS, "--create-config", "dataflow-rules.yaml", cwd=flags_repo)
    assert done.returncode == 0, done.stderr
    written = (flags_repo / "dataflow-rules.yaml").read_text()
    assert "fail-on: review" in written and "skip-check:" in written and "progress" not in written
    again = run("scan", "--create-config", "dataflow-rules.yaml", cwd=flags_repo)
    assert again.returncode == 2  # never overwritten
    a = run("scan", cwd=flags_repo)
    (flags_repo / "empty.yaml").write_text(
        "{}\n"
    )  # an empty config: the flags alone (special files are refused)
    b = run("scan", *FLAGS, "--config", "empty.yaml", cwd=flags_repo)
    assert a.returncode == b.returncode == 4


def test_a_missing_config_file_is_an_input_error(tmp_path: Path) -> None:
    done = run("scan", "--config", "nope.yaml", cwd=tmp_path)
    assert done.returncode == 5 and b"nope.yaml" in done.stderr


def test_no_flags_and_no_config_scans_the_working_directory(tmp_path: Path) -> None:
    """The defaults alone (paths: [.]) run a scan, outside any repository too."""
    (tmp_path / "flows").mkdir()
    shutil.copy(EXAMPLES / "transfers" / "vendor-flows.yaml", tmp_path / "flows" / "vendor-flows.yaml")
    done = run("scan", "--no-progress", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    assert b"flows/vendor-flows.yaml" in done.stdout
