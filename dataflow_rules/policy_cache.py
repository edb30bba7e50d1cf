"""A cache of loaded policies, so a cold ``dataflow-rules check`` skips parsing and checking
catalogues it has already checked.

Loading the shipped catalogues parses eleven YAML files and builds and runs every catalogue
model's validators: most of a cold ``check`` after the imports. The result, a
:class:`~dataflow_rules.models.policies.Policies`, only changes when its inputs change, so
it is kept, pickled, in the user's cache directory, under a key that names every input:

- the bytes of the taxonomy and of every catalogue file, with the path each was read from
  (error locations and ``catalogues`` print it);
- the source of every module that builds a ``Policies`` (:data:`CODE`), the package
  version, and the Python, pydantic, pydantic-core and PyYAML versions.

An entry is trusted only if every one of these holds; otherwise the caller rebuilds from
the files, exactly as without a cache (fail closed):

- the cache directory is a real directory owned by this user and open to no one else
  (created 0700), the file a regular file owned by this user, mode 0600, opened without
  following a link;
- the file's header carries the same key, and the sha256 of its payload matches (a torn or
  altered file is rebuilt);
- the payload unpickles with only the package's own model classes and ``datetime.date``
  (:class:`_Unpickler`): a planted pickle cannot call anything else.

Only a successful load is stored, so a catalogue error is found and reported on every run.
Writing is best effort (a read-only or full disk costs the next run its speed, nothing
else): a private temporary file, then an atomic rename, so readers never see half a file.

``$DATAFLOW_RULES_CACHE`` names the directory, or ``off`` turns the cache off; the default
is ``$XDG_CACHE_HOME/dataflow-rules`` (else ``~/.cache/dataflow-rules``). Only the command
line uses the cache (``load_policies(..., cache=True)``); a library caller gets a load from
the files unless it asks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import pickle
import stat
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .models.policies import LoadedCatalogue, Policies

ENV_VAR = "DATAFLOW_RULES_CACHE"
FORMAT = b"dataflow-rules policy cache 1\n"
"""The file's first bytes; a new layout changes the number, and old files are rebuilt."""
MAX_BYTES = 64 * 1024 * 1024
"""Largest cache file read: the shipped catalogues pickle to about 0.4 MB."""

CODE = (
    "__init__.py",
    "catalogues.py",
    "crossref.py",
    "errors.py",
    "loading.py",
    "policy_cache.py",
    "shipped.py",
    "taxonomy.py",
    "validation.py",
    "models",
)
"""The package's files and directories whose source decides what a load gives: the loader,
its checks and every model (tests/test_policy_cache.py checks that a load imports nothing
else of the package). A change to any of them is a new key."""

_PACKAGE = Path(__file__).resolve().parent

_ALLOWED_MODULES = frozenset(
    {
        "dataflow_rules.loading",
        "dataflow_rules.models.catalogue",
        "dataflow_rules.models.common",
        "dataflow_rules.models.policies",
        "dataflow_rules.models.taxonomy",
        "dataflow_rules.models.transfer",
    }
)


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off (``$DATAFLOW_RULES_CACHE=off``, a
    system without POSIX file ownership, no home directory)."""
    if os.name != "posix":
        return None
    chosen = os.environ.get(ENV_VAR, "")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "dataflow-rules"
    home = os.path.expanduser("~")
    return None if home == "~" else Path(home) / ".cache" / "dataflow-rules"


def _private_dir() -> Path | None:
    """The cache directory, created 0700 if missing; None unless it is a real directory
    owned by this user that no one else may read or write."""
    where = cache_dir()
    if where is None:
        return None
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(where)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            return None
        if st.st_mode & 0o077:
            os.chmod(where, 0o700)  # ours, but opened up by hand: close it before use
    except OSError:
        return None
    return where


def _code_digest() -> bytes:
    """sha256 over the source of :data:`CODE`, file by file in a fixed order."""
    h = hashlib.sha256()
    for name in CODE:
        path = _PACKAGE / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            data = file.read_bytes()
            h.update(f"{file.relative_to(_PACKAGE).as_posix()}\0{len(data)}\0".encode())
            h.update(data)
    return h.digest()


def _versions() -> str:
    import pydantic.version
    import pydantic_core
    import yaml

    from . import __version__

    return "\0".join(
        (
            __version__,
            sys.version,
            pydantic.version.VERSION,
            pydantic_core.__version__,
            yaml.__version__,
            str(getattr(yaml, "__with_libyaml__", False)),
        )
    )


def key(taxonomy: tuple[str, str], catalogues: Iterable[tuple[str, str]]) -> bytes | None:
    """The key of a load of ``taxonomy`` and ``catalogues``, each (path as read, text), in
    the order the loader reads them; None if the package's own source cannot be read (then
    nothing is cached)."""
    try:
        code = _code_digest()
    except OSError:
        return None
    h = hashlib.sha256(FORMAT + code + _versions().encode() + b"\0")
    for source, text in (taxonomy, *catalogues):
        raw_source, raw_text = (
            source.encode("utf-8", "surrogateescape"),
            text.encode("utf-8", "surrogatepass"),
        )
        h.update(b"%d\0%d\0" % (len(raw_source), len(raw_text)) + raw_source + raw_text)
    return h.digest()


def _slot(where: Path, directory: Path) -> Path:
    """One file per policy directory (by absolute path): a changed directory replaces its
    entry instead of adding one, so the cache does not grow with every edit."""
    name = hashlib.sha256(os.path.abspath(directory).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return where / f"policies-{name}.pickle"


class _Unpickler(pickle.Unpickler):
    """Builds only the classes the policy modules define themselves and ``datetime.date``;
    any other global (a function, a module, a class one of them merely imports) is
    refused, so the load fails and is rebuilt. This stops a planted file from running
    code; what stops one from describing other catalogues is that only this user can write
    the directory and the file (checked before reading)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "datetime" and name == "date":
            import datetime

            return datetime.date
        if module in _ALLOWED_MODULES:
            found = getattr(sys.modules.get(module), name, None)
            if isinstance(found, type) and found.__module__ == module:  # defined there, not imported
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a policy model")


def load(directory: Path, wanted: bytes, texts: Mapping[str, str]) -> Policies | None:
    """The policies stored for ``directory`` under the key ``wanted``, or None (no entry,
    another key, an entry that fails any check). ``texts``: each catalogue's text by the
    path it was read from, the bytes ``wanted`` was computed over; each catalogue's
    document is parsed from them if something reads it (:class:`~.loading.DeferredDocument`)."""
    where = _private_dir()
    if where is None:
        return None
    try:
        fd = os.open(_slot(where, directory), os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.geteuid()
            or st.st_mode & 0o077
            or st.st_size > MAX_BYTES
        ):
            return None
        data = f.read(MAX_BYTES + 1)
    head = len(FORMAT)
    if data[:head] != FORMAT or data[head : head + 32] != wanted:
        return None
    digest, payload = data[head + 32 : head + 64], data[head + 64 :]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        # the modules the allow-list names are imported before the payload is read
        from . import loading
        from .models import catalogue, common, taxonomy, transfer  # noqa: F401

        found = _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # any fault in a cached entry means: rebuild from the files
        return None
    if not isinstance(found, Policies):
        return None
    for loaded in (*found.catalogues.values(), *found.layers.values()):
        document = loaded.document
        if isinstance(document, loading.DeferredDocument):  # as store() writes it
            if document.source not in texts:
                return None
            document.text = texts[document.source]
    return found


def _without_documents(policies: Policies) -> Policies:
    """``policies`` with each catalogue's document kept as its source alone (parsed again
    from the text if read after a hit: :class:`~.loading.DeferredDocument`)."""
    from .loading import DeferredDocument

    def bare(loaded: LoadedCatalogue) -> LoadedCatalogue:
        return dataclasses.replace(loaded, document=DeferredDocument(loaded.document.source))

    return dataclasses.replace(
        policies,
        catalogues={k: bare(v) for k, v in policies.catalogues.items()},
        layers={k: bare(v) for k, v in policies.layers.items()},
    )


def store(directory: Path, wanted: bytes, policies: Policies) -> None:
    """Keep ``policies`` for ``directory`` under ``wanted``; best effort, silent on failure."""
    where = _private_dir()
    if where is None:
        return
    try:
        payload = pickle.dumps(_without_documents(policies), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a value that does not pickle: no entry, the next run loads from files
        return
    final = _slot(where, directory)
    temporary = final.with_name(f".{final.name}.{os.getpid()}.{os.urandom(6).hex()}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(FORMAT + wanted + hashlib.sha256(payload).digest() + payload)
        os.replace(temporary, final)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
