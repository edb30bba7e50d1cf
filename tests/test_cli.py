"""The command line as a user runs it: real processes, exit codes, stdin, formats, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, POLICIES

EXE = shutil.which("dataflow-rules") or str(Path(sys.executable).parent / "dataflow-rules")


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, cwd=cwd, timeout=60, check=False)


@pytest.mark.parametrize(
    ("example", "code"),
    [("cn-us-climate-research.yaml", 0), ("cn-us-missing-count.yaml", 3), ("us-cn-genomic-101.yaml", 4)],
)
def test_exit_code_per_verdict(example: str, code: int, tmp_path: Path) -> None:
    # From an unrelated directory: the shipped catalogues come with the package.
    result = run("check", str(EXAMPLES / example), cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert result.stdout.decode().startswith(example.removesuffix(".yaml"))


def test_text_output_names_verdict_entry_and_citation() -> None:
    out = run("check", "--no-colour", str(EXAMPLES / "us-cn-genomic-101.yaml")).stdout.decode()
    assert "RESTRICT" in out and "us.dsp.omic.coc.genomic" in out and "202.303" in out
    assert "\x1b[" not in out


def test_json_is_stable_byte_for_byte_and_strictest_exit() -> None:
    files = [str(p) for p in sorted(EXAMPLES.glob("*-1*.yaml"))]
    first = run("check", "--format", "json", *files)
    second = run("check", "--format", "json", *files)
    assert first.stdout == second.stdout
    body = json.loads(first.stdout)
    assert body["schema_version"] == 1
    assert [d["transfer_id"] for d in body["decisions"]] == [Path(f).stem for f in files]
    assert body["verdict"] == "restrict" and first.returncode == 4


def test_stdin_json() -> None:
    transfer = {
        "id": "stdin-1",
        "origin": "CN",
        "destination": "US",
        "date": "2026-03-02",
        "purpose": "climate_research",
        "recipient": {"type": "research_institution"},  # unstated: the DSL Art 36 rule asks
        "data": [{"category": "research.climate"}],
    }
    result = run("check", "-", "--format", "json", stdin=json.dumps(transfer).encode())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decisions"][0]["verdict"] == "allow"


def test_input_error_exit_5_and_nothing_decided(tmp_path: Path) -> None:
    good = (EXAMPLES / "cn-us-pi-100000.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.replace("personal.contact", "personal.contcat"))
    result = run("check", str(EXAMPLES / "cn-us-pi-100000.yaml"), str(bad))
    assert result.returncode == 5
    assert result.stdout == b""
    err = result.stderr.decode().strip()
    assert err.count("\n") == 0
    assert err.startswith(f"error: {bad}:") and "data[0].category: unknown category 'personal.contcat'" in err


def test_same_transfer_id_in_two_files(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    shutil.copy(EXAMPLES / "cn-us-pi-100000.yaml", copy)
    result = run("check", str(EXAMPLES / "cn-us-pi-100000.yaml"), str(copy))
    assert result.returncode == 5 and b"is used again" in result.stderr


def test_catalogue_error_exit_6(tmp_path: Path) -> None:
    policy = tmp_path / "policies"
    shutil.copytree(POLICIES, policy)
    cn = policy / "cn.yaml"
    cn.write_text(cn.read_text().replace("requirement: security_assessment", "requirement: vibes", 1))
    result = run("check", "--policies", str(policy), str(EXAMPLES / "cn-us-pi-100000.yaml"))
    assert result.returncode == 6
    assert b"cn.yaml:" in result.stderr and b"unknown requirement 'vibes'" in result.stderr


def test_bad_as_of_and_usage_errors() -> None:
    bad_date = run("check", "--as-of", "yesterday", str(EXAMPLES / "cn-us-pi-100000.yaml"))
    assert bad_date.returncode == 2  # a wrong option is a usage error, not bad input
    assert b"'yesterday' is not a date (YYYY-MM-DD)" in bad_date.stderr
    assert run("check", "--format", "xml", str(EXAMPLES / "cn-us-pi-100000.yaml")).returncode == 2
    assert run("check", str(EXAMPLES / "does-not-exist.yaml")).returncode == 5


def test_as_of_changes_what_is_in_force() -> None:
    before = run(
        "check", "--as-of", "2025-01-01", "--format", "json", str(EXAMPLES / "us-cn-genomic-101.yaml")
    )
    assert json.loads(before.stdout)["decisions"][0]["verdict"] == "allow"  # the US rule starts 2025-04-08
    after = run(
        "check", "--as-of", "2025-04-08", "--format", "json", str(EXAMPLES / "us-cn-genomic-101.yaml")
    )
    assert json.loads(after.stdout)["decisions"][0]["verdict"] == "restrict"


def test_unlisted_allow() -> None:
    """A destination without a catalogue (VN) restricts nothing by default, said as an
    assumption; ``--unlisted review`` asks for its side to be checked; ``--unlisted allow``
    accepts it."""
    default = run("check", "--format", "json", str(EXAMPLES / "cn-vn-manufacturing.yaml"))
    assert default.returncode == 0
    (decision,) = json.loads(default.stdout)["decisions"]
    # China presumes the data was not notified as important data (2024 Provisions Art 2).
    assert [a["fact"] for a in decision["assumptions"]] == ["context.important_data_identified", "VN inbound"]
    assert run("check", "--unlisted", "review", str(EXAMPLES / "cn-vn-manufacturing.yaml")).returncode == 3
    assert run("check", "--unlisted", "allow", str(EXAMPLES / "cn-vn-manufacturing.yaml")).returncode == 0


def test_catalogues_and_version() -> None:
    out = run("catalogues").stdout.decode()
    assert "CN" in out and "US" in out and "sha256:" in out
    assert run("version").stdout.strip()


def test_every_capability_registers_the_commands_the_app_lists() -> None:
    """cli.CAPABILITIES names each commands module and the commands it adds: they must
    agree, or a command would be listed and missing, or registered and never reached."""
    import importlib

    import typer

    from dataflow_rules import cli

    for module, names in cli.CAPABILITIES.items():
        holder = typer.Typer()
        importlib.import_module(module).register(holder)
        assert tuple(typer.main.get_group(holder).commands) == names, module
    listed = [n for names in cli.CAPABILITIES.values() for n in names]
    assert sorted(cli.ORDER) == sorted(listed) and len(set(listed)) == len(listed)


def test_check_imports_no_other_capability() -> None:
    """A command's module loads only when it runs: `check` starts without scan, the
    workbench, batch, the audit trail or the service (the cold start of issue 14)."""
    import subprocess
    import sys

    code = (
        "import sys; from dataflow_rules.cli import main; sys.argv = ['dataflow-rules', 'check', '--as-of', "
        f"'2026-06-01', {str(EXAMPLES / 'cn-us-pi-100000.yaml')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    loaded = set(done.stderr.split())
    assert "dataflow_rules.commands" in loaded and "restrict" in done.stdout
    others = {"scan", "workbench", "batch", "audit", "server"}
    assert {m for m in loaded if m.split(".")[:2][-1] in others and m.startswith("dataflow_rules.")} == set()
    assert not {"pycountry", "pathspec"} & loaded


def test_colour_reaches_a_pipe_when_asked_and_no_color_turns_the_default_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--colour` colours even through a pipe (`| less -R`: click strips colour off a pipe
    unless told), `--no-colour` never does, and NO_COLOR turns the terminal default off."""
    import io

    from dataflow_rules.render.style import wants_colour

    example = str(EXAMPLES / "us-cn-genomic-101.yaml")
    assert "\x1b[1;31mRESTRICT\x1b[0m" in run("check", "--colour", example).stdout.decode()
    assert "\x1b[" not in run("check", "--no-colour", example).stdout.decode()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_colour(None, Terminal()) and not wants_colour(None, io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(None, Terminal()) and wants_colour(True, Terminal())


@pytest.mark.parametrize("command", ["check", "scan"])
def test_a_facts_file_s_misspelt_context_fact_is_an_input_error(command: str, tmp_path: Path) -> None:
    """check and scan refuse a facts file's context fact no catalogue declares (exit 5, one
    line naming file, line and key), as they refuse a transfer's; nothing is decided."""
    manifest = tmp_path / "t.yaml"
    shutil.copy(EXAMPLES / "cn-us-climate-research.yaml", manifest)
    (tmp_path / "dataflow-rules.yaml").write_text(
        "facts:\n  context:\n    exporter_is_data_brokr: false\n", encoding="utf-8"
    )
    target = "t.yaml" if command == "check" else "."
    result = run(command, target, cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 5, err
    assert "dataflow-rules.yaml:3:" in err and "unknown context fact 'exporter_is_data_brokr'" in err
    assert "did you mean 'exporter_is_data_broker'" in err
    assert b"ALLOW" not in result.stdout
