"""The cache of loaded policies (dataflow_rules.policy_cache): a hit gives what a load from
the files gives, and any doubt about an entry (other bytes, other code, a torn or altered
file, loose permissions, a link, a planted pickle) means a load from the files."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataflow_rules import catalogues, policy_cache
from dataflow_rules.catalogues import load_policies
from dataflow_rules.cli import app
from dataflow_rules.engine.engine import Engine
from dataflow_rules.errors import CatalogueError
from dataflow_rules.transfers import read_transfers

from .conftest import EXAMPLES, POLICIES, ROOT

TOP_EXAMPLES = sorted(EXAMPLES.glob("*.yaml"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(policy_cache.ENV_VAR, str(where))
    return where


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts loads from the files (build_policies runs only on a miss)."""
    calls: list[int] = []
    real = catalogues.build_policies

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(catalogues, "build_policies", counting)
    return calls


def _entry(cache: Path) -> Path:
    (entry,) = cache.glob("policies-*.pickle")
    return entry


def _decisions(policies: catalogues.Policies) -> list[str]:
    engine = Engine(policies)
    return [
        engine.decide(item.transfer, None).model_dump_json()
        for path in TOP_EXAMPLES
        for item in read_transfers(path, policies)
    ]


def _copy_policies(tmp_path: Path) -> Path:
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES, copy)
    return copy


def test_a_hit_decides_as_a_load_from_the_files(cache: Path, builds: list[int]) -> None:
    first = load_policies(cache=True)
    assert builds == [1]
    entry = _entry(cache)
    assert entry.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700
    second = load_policies(cache=True)
    assert builds == [1]  # the files were read, not parsed or checked again
    assert second is not first
    assert _decisions(second) == _decisions(load_policies())
    assert [(c, lc.source, lc.digest) for c, lc in second.catalogues.items()] == [
        (c, lc.source, lc.digest) for c, lc in first.catalogues.items()
    ]
    assert sorted(second.layers) == sorted(first.layers) and second.covered == first.covered


def test_changed_bytes_are_a_new_key(tmp_path: Path, cache: Path, builds: list[int]) -> None:
    directory = _copy_policies(tmp_path)
    before = load_policies(directory, cache=True)
    cn = directory / "cn.yaml"
    cn.write_text(
        cn.read_text(encoding="utf-8").replace("version:", "# edited\nversion:", 1), encoding="utf-8"
    )
    after = load_policies(directory, cache=True)
    assert builds == [1, 1]
    assert after.catalogues["CN"].digest != before.catalogues["CN"].digest
    assert after.catalogues["CN"].digest == hashlib.sha256(cn.read_bytes()).hexdigest()
    assert len(list(cache.glob("policies-*.pickle"))) == 1  # one slot per directory, replaced


def test_changed_code_is_a_new_key(cache: Path, builds: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    load_policies(cache=True)
    monkeypatch.setattr(policy_cache, "_code_digest", lambda: b"another version of the models")
    load_policies(cache=True)
    assert builds == [1, 1]


@pytest.mark.parametrize("where", ["payload", "key"])
def test_an_altered_entry_is_rebuilt(cache: Path, builds: list[int], where: str) -> None:
    load_policies(cache=True)
    entry = _entry(cache)
    data = bytearray(entry.read_bytes())
    at = len(policy_cache.FORMAT) + 5 if where == "key" else len(data) // 2  # inside the key, the payload
    data[at] ^= 0x01
    entry.write_bytes(bytes(data))
    got = _decisions(load_policies(cache=True))
    assert builds == [1, 1]
    assert got == _decisions(load_policies())


def test_a_truncated_entry_is_rebuilt(cache: Path, builds: list[int]) -> None:
    load_policies(cache=True)
    entry = _entry(cache)
    entry.write_bytes(entry.read_bytes()[:1000])
    load_policies(cache=True)
    assert builds == [1, 1]


def _key_of_shipped() -> bytes:
    directory = catalogues.default_policy_dir()
    tax = directory / catalogues.TAXONOMY_FILE
    files = sorted(p for p in directory.glob("*.y*ml") if p.name != catalogues.TAXONOMY_FILE)
    wanted = policy_cache.key(
        (str(tax), tax.read_text("utf-8")), [(str(p), p.read_text("utf-8")) for p in files]
    )
    assert wanted is not None
    return wanted


class _Planted:
    """Pickles as a call to os.system: what an attacker would plant."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("touch planted",))


def test_a_planted_pickle_is_refused_and_never_run(
    cache: Path, builds: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_policies(cache=True)
    entry = _entry(cache)
    payload = pickle.dumps(_Planted())
    entry.write_bytes(policy_cache.FORMAT + _key_of_shipped() + hashlib.sha256(payload).digest() + payload)
    monkeypatch.chdir(tmp_path)
    got = _decisions(load_policies(cache=True))
    assert builds == [1, 1] and not (tmp_path / "planted").exists()
    assert got == _decisions(load_policies())


def test_the_honest_header_is_what_the_planted_test_forges(cache: Path, builds: list[int]) -> None:
    """The forged header above is well formed: the same bytes with a policies payload hit."""
    policies = load_policies(cache=True)
    entry = _entry(cache)
    payload = pickle.dumps(policies, protocol=pickle.HIGHEST_PROTOCOL)
    entry.write_bytes(policy_cache.FORMAT + _key_of_shipped() + hashlib.sha256(payload).digest() + payload)
    os.chmod(entry, 0o600)
    load_policies(cache=True)
    assert builds == [1]


def test_loose_permissions_and_links_are_not_trusted(cache: Path, builds: list[int], tmp_path: Path) -> None:
    load_policies(cache=True)
    entry = _entry(cache)
    entry.chmod(0o644)
    load_policies(cache=True)  # not read; rebuilt and stored again, 0600
    assert builds == [1, 1] and entry.stat().st_mode & 0o777 == 0o600
    moved = tmp_path / "elsewhere.pickle"
    entry.rename(moved)
    entry.symlink_to(moved)
    load_policies(cache=True)
    assert builds == [1, 1, 1]


def test_a_directory_opened_up_is_closed_before_use(cache: Path, builds: list[int]) -> None:
    cache.mkdir(mode=0o755)
    cache.chmod(0o755)
    load_policies(cache=True)
    assert cache.stat().st_mode & 0o777 == 0o700 and _entry(cache).stat().st_mode & 0o777 == 0o600


def test_off_and_library_default_write_nothing(
    cache: Path, builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_policies()  # a library caller does not ask for the cache
    assert not cache.exists()
    monkeypatch.setenv(policy_cache.ENV_VAR, "off")
    load_policies(cache=True)
    load_policies(cache=True)
    assert builds == [1, 1, 1] and not cache.exists()


def test_an_unwritable_cache_only_costs_speed(
    tmp_path: Path, builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(policy_cache.ENV_VAR, str(blocker / "cache"))
    assert _decisions(load_policies(cache=True)) == _decisions(load_policies())


def test_a_catalogue_error_is_never_cached_and_reads_the_same(tmp_path: Path, cache: Path) -> None:
    directory = _copy_policies(tmp_path)
    cn = directory / "cn.yaml"
    cn.write_text(cn.read_text(encoding="utf-8") + "\nunknown_field: 1\n", encoding="utf-8")
    (directory / "zz.yaml").mkdir()  # unreadable, after the bad file: the bad file is reported
    with pytest.raises(CatalogueError) as plain:
        load_policies(directory)
    for _ in range(2):
        with pytest.raises(CatalogueError) as cached:
            load_policies(directory, cache=True)
        assert cached.value.one_line() == plain.value.one_line()
    assert "cn.yaml" in plain.value.one_line()
    assert not list(cache.glob("policies-*.pickle"))


def test_the_check_command_is_byte_identical_with_the_cache(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    files = [str(p) for p in TOP_EXAMPLES]
    outputs = []
    for setting in ("off", str(cache), str(cache)):  # no cache, a miss that stores, a hit
        monkeypatch.setenv(policy_cache.ENV_VAR, setting)
        for fmt in ("text", "json"):
            done = runner.invoke(app, ["check", "--as-of", "2026-06-01", "--format", fmt, *files])
            outputs.append((setting == "off", fmt, done.exit_code, done.output))
    assert _entry(cache).is_file()
    plain = [o[1:] for o in outputs[:2]]
    assert plain[0][1] == 4 and "restrict" in plain[0][2]
    assert [o[1:] for o in outputs[2:4]] == plain and [o[1:] for o in outputs[4:]] == plain


def test_a_load_imports_only_the_code_the_key_covers() -> None:
    """policy_cache.CODE names the source a load depends on; a load from the files must not
    reach any other module of the package, or an edit there would not change the key."""
    code = (
        "import sys\nfrom dataflow_rules.catalogues import load_policies\nload_policies()\n"
        "print(' '.join(m for m in sys.modules if m.startswith('dataflow_rules')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True, cwd=ROOT
    )
    covered = set()
    for name in policy_cache.CODE:
        path = ROOT / "dataflow_rules" / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            parts = file.relative_to(ROOT).with_suffix("").parts
            covered.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    loaded = set(done.stdout.split())
    assert "dataflow_rules.crossref" in loaded
    assert loaded - covered == set()


def test_the_unpickler_builds_only_classes_the_policy_modules_define() -> None:
    from dataflow_rules import loading  # noqa: F401 - the allow-list's modules are loaded

    def refused(module: str, name: str) -> bool:
        try:
            policy_cache._Unpickler(io.BytesIO(b"")).find_class(module, name)
        except pickle.UnpicklingError:
            return True
        return False

    assert not refused("dataflow_rules.models.catalogue", "Catalogue")
    assert not refused("dataflow_rules.loading", "Document") and not refused("datetime", "date")
    assert refused("dataflow_rules.loading", "Path")  # imported there, not defined
    assert refused("dataflow_rules.loading", "os") and refused("os", "system")
    assert refused("dataflow_rules.models.common", "country_code")  # a function
    assert refused("builtins", "eval") and refused("datetime", "datetime")


def test_a_hit_keeps_documents_as_their_source_and_parses_them_when_read(
    cache: Path, builds: list[int]
) -> None:
    """The entry holds no catalogue document (only its source); after a hit each one reads
    exactly as the load from the files gave it, parsed from the bytes the key names."""
    from dataflow_rules.loading import DeferredDocument

    first = load_policies(POLICIES, cache=True)
    payload = _entry(cache).read_bytes()
    assert b"marks" not in payload and b"booleans" not in payload
    second = load_policies(POLICIES, cache=True)
    assert builds == [1]
    for key, loaded in [*first.catalogues.items(), *first.layers.items()]:
        hit = (second.catalogues if isinstance(key, str) else second.layers)[key]
        assert isinstance(hit.document, DeferredDocument)
        assert not isinstance(loaded.document, DeferredDocument)
        assert hit.document.source == loaded.document.source
        assert "value" not in vars(hit.document)  # nothing parsed until read
        assert (hit.document.value, hit.document.marks, hit.document.booleans) == (
            loaded.document.value,
            loaded.document.marks,
            loaded.document.booleans,
        )
        assert hit.document.locate(("entries", 0, "id")) == loaded.document.locate(("entries", 0, "id"))
