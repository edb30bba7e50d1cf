"""The hooks of .pre-commit-hooks.yaml as a pipeline repository uses them, with the real
pre-commit: it clones this repository at a commit, builds the hook's environment with
`pip install .` and runs the hook on the staged files when `git commit` runs.

test_cli.py checks the manifest with pre-commit's loader and runs the entry by hand; only a
real run shows that the clone installs (package data, dependencies, the console script),
that `files` and `pass_filenames` hand the hook the files we expect, and that a failing
scan turns into a refused commit.

pre-commit installs the project and its dependencies from a package index, and tests may
not use the network: pip here reads only a local wheelhouse, named by
DATAFLOW_RULES_WHEELHOUSE (.ci/run makes one; without it these tests skip and say how).
The hook's environment is built once for the module (the `hook_repo` fixture); `try-repo`
always builds its own, so it runs once.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .helpers import CLOUDFORMATION, EXAMPLES, ROOT

# Slow lane (the real pre-commit builds the hook environment): `pytest -m slow`, run by .ci/run as its own step.
pytestmark = pytest.mark.slow

WHEELHOUSE_VARIABLE = "DATAFLOW_RULES_WHEELHOUSE"
MAKE_WHEELHOUSE = (
    'python3 -c \'import tomllib; p = tomllib.load(open("pyproject.toml", "rb")); '
    'print("\\n".join(p["build-system"]["requires"] + p["project"]["dependencies"]))\' '
    "| python3 -m pip wheel -q -w /tmp/wheelhouse -r /dev/stdin"
)
# The hook's environment is a virtualenv with the project and its dependencies: a few
# seconds from a local wheelhouse, but give a slow machine room.
BUILD_TIMEOUT = 900
RUN_TIMEOUT = 300
# Manifests with known verdicts (each example's comment states why).
RESTRICTED = ROOT / "examples" / "cn-us-pi-1000000.yaml"  # restrict: cn.pi.general.assessment
ALLOWED = ROOT / "examples" / "cn-us-pi-99999.yaml"  # allow: below every CN threshold
NOT_A_MANIFEST = EXAMPLES / "other" / "ci-config.yaml"
FIDES = EXAMPLES / "fides" / "loyalty-members.fides.yml"
FIDES_SIDECAR = EXAMPLES / "fides" / "loyalty-members.fides.dataflow.yaml"  # 240,000: restrict
# Anything that still reaches for an index over HTTP meets a closed loopback port and fails,
# instead of quietly downloading.
DEAD_PROXY = "http://127.0.0.1:9"


@dataclass(frozen=True)
class HookRepo:
    """The hook repository pre-commit clones (`repo:`), the commit it checks out (`rev:`)
    and the environment every pre-commit and git command of these tests runs in."""

    url: str
    rev: str
    env: dict[str, str]


def _git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def _pre_commit(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """pre-commit as a developer runs it, from this interpreter's installation; stderr joins
    stdout so assertion messages show everything it said."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def _wheelhouse() -> Path:
    value = os.environ.get(WHEELHOUSE_VARIABLE)
    if not value:
        pytest.skip(
            f"{WHEELHOUSE_VARIABLE} is not set: pre-commit installs this project with `pip install .`, "
            "and these tests let pip read only a local wheelhouse (no network). From the project "
            f"root: {MAKE_WHEELHOUSE}; then {WHEELHOUSE_VARIABLE}=/tmp/wheelhouse. .ci/run does this."
        )
    path = Path(value)
    # Set but unusable is a broken setup, not a reason to skip: fail and say so.
    assert path.is_dir() and any(path.glob("*.whl")), f"{WHEELHOUSE_VARIABLE}={value} holds no wheels"
    return path


def _hermetic_env(base: Path, wheelhouse: Path) -> dict[str, str]:
    """The caller's environment without its pip, virtualenv, pre-commit and git settings,
    then: pip reads only the wheelhouse, pre-commit and virtualenv keep their state under
    `base`, git ignores the user's configuration (a global core.hooksPath would make
    `pre-commit install` refuse) and commits as a fixed person."""
    dropped = ("PIP_", "PRE_COMMIT", "VIRTUALENV_", "GIT_")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(dropped)}
    env.update(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        PIP_CONFIG_FILE=os.devnull,  # the machine's pip.conf may add indexes and find-links
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CACHE_DIR=str(base / "pip-cache"),
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
        VIRTUALENV_OVERRIDE_APP_DATA=str(base / "virtualenv-app-data"),
        PRE_COMMIT_HOME=str(base / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Pipeline Developer",
        GIT_AUTHOR_EMAIL="dev@example.com",
        GIT_COMMITTER_NAME="Pipeline Developer",
        GIT_COMMITTER_EMAIL="dev@example.com",
    )
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[name] = DEAD_PROXY
    for name in ("NO_PROXY", "no_proxy"):
        env.pop(name, None)
    return env


def _repository_under_test(base: Path, env: dict[str, str]) -> tuple[str, str]:
    """The project root and its HEAD when the work tree is clean (CI's fresh clone): exactly
    what a pipeline repository's `repo:` and `rev:` would name.

    With uncommitted changes, pre-commit would build HEAD, not the code under test, and
    `try-repo` adds only tracked files to its temporary commit (`git add -u`), so a new
    module would be missing. Then the work tree as git sees it (tracked and untracked files,
    less the ignored ones) is committed to a new repository under `base` instead, leaving
    the project's own repository untouched."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed; pre-commit needs it")
    probe = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0 or Path(probe.stdout.strip()).resolve() != ROOT:
        pytest.skip(f"{ROOT} is not the top of a git work tree; pre-commit clones hook repositories with git")
    read_only = dict(env, GIT_OPTIONAL_LOCKS="0")  # `git status` must not refresh the index
    if not _git("status", "--porcelain", "--untracked-files=all", cwd=ROOT, env=read_only):
        return str(ROOT), _git("rev-parse", "HEAD", cwd=ROOT, env=env).strip()
    snapshot = base / "dataflow-rules-work-tree"
    snapshot.mkdir()
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT, env=read_only)
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = ROOT / name
        if not (source.exists() or source.is_symlink()):
            continue  # deleted in the work tree
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    _git("init", "-q", "-b", "main", cwd=snapshot, env=env)
    _git("add", "-A", cwd=snapshot, env=env)
    _git("commit", "-q", "-m", "work tree under test", cwd=snapshot, env=env)
    return str(snapshot), _git("rev-parse", "HEAD", cwd=snapshot, env=env).strip()


def _config(hook_repo: HookRepo, hooks: Sequence[dict[str, object]]) -> str:
    return yaml.safe_dump({"repos": [{"repo": hook_repo.url, "rev": hook_repo.rev, "hooks": list(hooks)}]})


class Pipeline:
    """A data-pipeline git repository that uses the hooks: a first commit with its
    .pre-commit-config.yaml, and `pre-commit install` so `git commit` runs them."""

    def __init__(self, path: Path, hook_repo: HookRepo, hooks: Sequence[dict[str, object]]) -> None:
        self.path = path
        self.env = hook_repo.env
        path.mkdir()
        self.git("init", "-q", "-b", "main")
        self.write(".pre-commit-config.yaml", _config(hook_repo, hooks))
        self.git("add", ".pre-commit-config.yaml")
        self.git("commit", "-q", "--no-verify", "-m", "use dataflow-rules")
        installed = _pre_commit("install", cwd=path, env=self.env)
        assert installed.returncode == 0, installed.stdout

    def git(self, *args: str) -> str:
        return _git(*args, cwd=self.path, env=self.env)

    def write(self, name: str, text: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def copy(self, source: Path, name: str) -> Path:
        return self.write(name, source.read_text(encoding="utf-8"))

    def commit(self, message: str) -> subprocess.CompletedProcess[str]:
        """`git commit` as a developer types it: the installed hook runs pre-commit. Quiet,
        so what is printed is pre-commit's alone, not git's summary of the commit."""
        return subprocess.run(
            ["git", "commit", "-q", "-m", message],
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )

    def commits(self) -> int:
        return int(self.git("rev-list", "--count", "HEAD"))


SCAN: dict[str, object] = {"id": "dataflow-rules-scan", "verbose": True}  # verbose: show the report
SCAN_ALL: dict[str, object] = {"id": "dataflow-rules-scan-all", "verbose": True}


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """The repository under test, with the hook's environment built once in a private
    PRE_COMMIT_HOME, so every pipeline below reuses it as pre-commit's cache does."""
    wheelhouse = _wheelhouse()
    base = tmp_path_factory.mktemp("pre-commit")
    env = _hermetic_env(base, wheelhouse)
    url, rev = _repository_under_test(base, env)
    repo = HookRepo(url, rev, env)
    warm = Pipeline(base / "warm-up", repo, [SCAN, SCAN_ALL])
    built = _pre_commit("install-hooks", cwd=warm.path, env=env, timeout=BUILD_TIMEOUT)
    assert built.returncode == 0, built.stdout
    return repo


@pytest.fixture
def pipeline(tmp_path: Path, hook_repo: HookRepo) -> Callable[..., Pipeline]:
    """A new pipeline repository using the given hooks (default: dataflow-rules-scan)."""

    def make(*hooks: dict[str, object]) -> Pipeline:
        return Pipeline(tmp_path / "pipeline", hook_repo, hooks or [SCAN])

    return make


def test_try_repo_fails_on_a_restricted_manifest(tmp_path: Path, hook_repo: HookRepo) -> None:
    """`pre-commit try-repo`, as someone trying the hook before adopting it, builds the hook
    from this repository and fails on the restricted flow, naming file and finding; the
    allowed manifest and the plain YAML beside it are reported, not failed."""
    repo = tmp_path / "pipeline"
    repo.mkdir()
    _git("init", "-q", "-b", "main", cwd=repo, env=hook_repo.env)
    for source, name in [
        (RESTRICTED, "flows/crm.yaml"),
        (ALLOWED, "flows/small.yaml"),
        (NOT_A_MANIFEST, "ci.yaml"),
    ]:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, repo / name)
    _git("add", ".", cwd=repo, env=hook_repo.env)
    tried = _pre_commit(
        "try-repo", hook_repo.url, "dataflow-rules-scan", "--ref", hook_repo.rev, "--verbose",
        "--files", "flows/crm.yaml", "flows/small.yaml", "ci.yaml",
        cwd=repo, env=hook_repo.env, timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    out = tried.stdout
    assert tried.returncode == 1, out
    assert "- hook id: dataflow-rules-scan" in out and "- exit code: 4" in out, out
    assert "flows/crm.yaml  (transfer, 1 transfer)" in out
    assert "restrict cn.pi.general.assessment  CN outbound  line 16  FAILS" in out
    assert "cn-us-pi-99999: ALLOW" in out
    assert "ci.yaml: not a transfer manifest" in out


def test_commit_of_a_restricted_manifest_is_refused(pipeline: Callable[..., Pipeline]) -> None:
    """A staged manifest with a restricted flow: `pre-commit run` fails and `git commit` is
    refused, and the output names the file, the transfer and the catalogue entry."""
    repo = pipeline()
    repo.copy(RESTRICTED, "flows/crm-export.yaml")
    repo.git("add", "flows/crm-export.yaml")
    run = _pre_commit("run", cwd=repo.path, env=repo.env)  # no --files: the staged files
    assert run.returncode == 1, run.stdout
    assert "flows/crm-export.yaml  (transfer, 1 transfer)" in run.stdout, run.stdout
    committed = repo.commit("export CRM contacts to the US vendor")
    out = committed.stdout
    assert committed.returncode != 0, out
    assert repo.commits() == 1  # only the commit that added the configuration
    assert "dataflow-rules scan" in out and "Failed" in out and "- exit code: 4" in out, out
    assert "flows/crm-export.yaml  (transfer, 1 transfer)" in out
    assert "cn-us-pi-1000000: RESTRICT  CN -> US" in out
    assert "restrict cn.pi.general.assessment  CN outbound  line 16  FAILS" in out


def test_commit_of_an_allowed_manifest_passes(pipeline: Callable[..., Pipeline]) -> None:
    """An allowed flow is decided (the report shows ALLOW) and the commit goes ahead."""
    repo = pipeline()
    repo.copy(ALLOWED, "flows/crm-export.yaml")
    repo.git("add", "flows/crm-export.yaml")
    committed = repo.commit("export CRM contacts to the US vendor")
    out = committed.stdout
    assert committed.returncode == 0, out
    assert repo.commits() == 2
    assert "dataflow-rules scan" in out and "Passed" in out, out
    assert "cn-us-pi-99999: ALLOW  CN -> US" in out  # decided, not skipped
    assert "--fail-on restrict: PASS (exit 0)" in out, out


def test_yaml_that_is_not_a_manifest_passes_and_other_files_are_not_passed(
    pipeline: Callable[..., Pipeline],
) -> None:
    """YAML and JSON that are not manifests are handed to the scan and pass; other files
    are not handed to it at all (the hook's `files`)."""
    repo = pipeline()
    repo.write("docs/notes.md", "# Notes\n")
    repo.git("add", "docs/notes.md")
    committed = repo.commit("notes only")
    assert committed.returncode == 0, committed.stdout
    assert "(no files to check)Skipped" in committed.stdout  # files: no YAML or JSON staged
    repo.copy(NOT_A_MANIFEST, ".gitlab-ci.yml")
    repo.write("package.json", '{"name": "pipeline", "private": true}\n')
    repo.write("docs/notes.md", "# Notes\n\nMore.\n")
    repo.git("add", ".")
    committed = repo.commit("CI and package files")
    out = committed.stdout
    assert committed.returncode == 0, out
    assert repo.commits() == 3
    assert "dataflow-rules scan" in out and "Passed" in out, out
    assert ".gitlab-ci.yml: not a transfer manifest" in out
    assert "package.json: not a transfer manifest" in out
    assert "notes.md" not in out  # not YAML or JSON: pre-commit does not pass it


def test_a_changed_sidecar_alone_brings_its_manifest_into_the_scan(pipeline: Callable[..., Pipeline]) -> None:
    """The promise in .pre-commit-hooks.yaml: a commit that changes only the facts in a
    sidecar (here the number of people) is decided again through its Fides manifest."""
    repo = pipeline()
    sidecar = FIDES_SIDECAR.read_text(encoding="utf-8")
    assert "individuals: 240000" in sidecar
    repo.copy(FIDES, "fides/loyalty-members.fides.yml")
    repo.write("fides/loyalty-members.fides.dataflow.yaml", sidecar.replace("240000", "100"))
    repo.git("add", ".")
    first = repo.commit("loyalty replica, pilot size")
    assert first.returncode == 0, first.stdout  # 100 people: below the bulk thresholds
    # Below every bulk threshold, and a vendor agreement is not a PADFA data-broker
    # transaction: allowed, and the manifest was decided again through its sidecar.
    assert "loyalty_members:US-CN: ALLOW" in first.stdout
    repo.write("fides/loyalty-members.fides.dataflow.yaml", sidecar)
    repo.git("add", "fides/loyalty-members.fides.dataflow.yaml")
    assert repo.git("diff", "--cached", "--name-only").split() == [
        "fides/loyalty-members.fides.dataflow.yaml"
    ]
    committed = repo.commit("loyalty replica, all members")
    out = committed.stdout
    assert committed.returncode != 0, out
    assert "fides/loyalty-members.fides.yml  (fides, 1 transfer)" in out
    assert "restrict us.dsp.restricted.coc.geolocation  US outbound" in out


def test_args_from_the_configuration_reach_the_scan(pipeline: Callable[..., Pipeline]) -> None:
    """`args: [--waivers, FILE]`, as the hooks file suggests: an approved waiver lets the
    restricted flow through, and the report still shows it."""
    repo = pipeline({**SCAN, "args": ["--waivers", "dataflow-waivers.yaml"]})
    expires = (dt.date.today() + dt.timedelta(days=365)).isoformat()
    waiver = {
        "transfer": "cn-us-pi-1000000",
        "entry": "cn.pi.general.assessment",
        "approved_by": "Li Wei (Data Protection Officer)",
        "reason": "Security assessment passed; the approval letter is on file.",
        "expires": expires,
        "ticket": "PRIV-2001",
    }
    repo.write("dataflow-waivers.yaml", yaml.safe_dump({"waivers": [waiver]}))
    repo.copy(RESTRICTED, "flows/crm-export.yaml")
    repo.git("add", ".")
    committed = repo.commit("export with an approved waiver")
    out = committed.stdout
    assert committed.returncode == 0, out
    assert "WAIVED" in out and "PRIV-2001" in out, out


def test_scan_all_scans_the_whole_repository_honouring_gitignore(pipeline: Callable[..., Pipeline]) -> None:
    """`dataflow-rules-scan-all` runs on every commit whatever changed, walks the whole
    work tree and leaves out what .gitignore ignores: the same restricted manifest fails
    the commit only once it is no longer ignored."""
    repo = pipeline(SCAN_ALL)
    repo.write(".gitignore", "generated/\n")
    repo.copy(ALLOWED, "flows/crm-export.yaml")
    repo.git("add", ".")
    assert repo.commit("allowed flow").returncode == 0
    repo.copy(RESTRICTED, "generated/crm-export.yaml")  # ignored: never committed
    repo.write("docs/notes.md", "# Notes\n")
    repo.git("add", "docs/notes.md")
    committed = repo.commit("notes")
    out = committed.stdout
    assert committed.returncode == 0, out
    assert "dataflow-rules scan (whole repository)" in out and "Passed" in out, out
    assert "cn-us-pi-99999: ALLOW" in out  # a file this commit did not touch
    assert "generated/: ignored by .gitignore:1 ('generated/')" in out
    repo.write(".gitignore", "build/\n")
    repo.git("add", ".gitignore")  # only .gitignore is staged; the manifest stays untracked
    committed = repo.commit("stop ignoring generated/")
    out = committed.stdout
    assert committed.returncode != 0, out
    assert "- exit code: 4" in out, out
    assert "generated/crm-export.yaml  (transfer, 1 transfer)" in out
    assert "restrict cn.pi.general.assessment  CN outbound  line 16  FAILS" in out


def test_a_cloudformation_template_is_not_a_manifest_and_passes(pipeline: Callable[..., Pipeline]) -> None:
    repo = pipeline()
    repo.write("infra/raw-events.yaml", CLOUDFORMATION)
    repo.git("add", "infra/raw-events.yaml")
    committed = repo.commit("bucket for raw events")
    assert committed.returncode == 0, committed.stdout


def test_exclude_on_the_hook_keeps_templated_yaml_out(pipeline: Callable[..., Pipeline]) -> None:
    """pre-commit's `exclude` on the hook (docs/scan.md) leaves templates out of the scan
    altogether, while manifests beside them are still scanned."""
    repo = pipeline({**SCAN, "exclude": "^(cloudformation|charts)/"})
    repo.write("cloudformation/raw-events.yaml", CLOUDFORMATION)
    repo.copy(RESTRICTED, "flows/crm-export.yaml")
    repo.git("add", ".")
    committed = repo.commit("bucket and export")
    out = committed.stdout
    assert committed.returncode != 0 and "- exit code: 4" in out, out  # the manifest, not exit 5
    assert "raw-events.yaml" not in out
    assert "restrict cn.pi.general.assessment  CN outbound  line 16  FAILS" in out
