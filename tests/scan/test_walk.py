"""Which files a scan reads: gitignore-style patterns (checked against pathspec's
implementation of git's rules), include/exclude, .gitignore files, explicit paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from pathspec import GitIgnoreSpec

from dataflow_rules.scan.ignore import ignored_by, parse_lines
from dataflow_rules.scan.walk import Walker

PATTERNS = [
    "*.log",
    "build/",
    "/top.yaml",
    "docs/**/draft-*.yaml",
    "**/generated",
    "vendor/**",
    "!keep.log",
    "a?c.yaml",
    "[ab]x.yaml",
    "[!c]y.yaml",
    "nested/dir/file.json",
    "\\#literal.yaml",
    "trailing-space.yaml   ",
    "# a comment",
    "",
    "foo/**/bar",
    "*.tmpl.*",
]
PATHS = [
    ("x.log", False),
    ("a/b/x.log", False),
    ("keep.log", False),
    ("build", True),
    ("a/build", True),
    ("build", False),
    ("top.yaml", False),
    ("a/top.yaml", False),
    ("docs/draft-1.yaml", False),
    ("docs/x/y/draft-2.yaml", False),
    ("docs/final.yaml", False),
    ("generated", True),
    ("a/b/generated", True),
    ("vendor/x.yaml", False),
    ("vendor/a/b.yaml", False),
    ("abc.yaml", False),
    ("abbc.yaml", False),
    ("ax.yaml", False),
    ("cx.yaml", False),
    ("by.yaml", False),
    ("cy.yaml", False),
    ("nested/dir/file.json", False),
    ("x/nested/dir/file.json", False),
    ("#literal.yaml", False),
    ("trailing-space.yaml", False),
    ("foo/bar", False),
    ("foo/a/b/bar", False),
    ("x/foo/bar", False),
    ("chart.tmpl.yaml", False),
    ("plain.yaml", False),
]


@pytest.mark.parametrize(("path", "is_dir"), PATHS)
def test_patterns_agree_with_git_semantics(path: str, is_dir: bool) -> None:
    ours = ignored_by(parse_lines(PATTERNS, "", "t"), path, is_dir) is not None
    spec = GitIgnoreSpec.from_lines(PATTERNS)
    theirs = spec.match_file(path + ("/" if is_dir else ""))
    assert ours == theirs, path


def test_patterns_relative_to_their_directory() -> None:
    patterns = parse_lines(["/a.yaml", "b/"], "repo/sub", "repo/sub/.gitignore")
    assert ignored_by(patterns, "repo/sub/a.yaml", False)
    assert not ignored_by(patterns, "repo/sub/x/a.yaml", False)
    assert not ignored_by(patterns, "repo/a.yaml", False)
    assert ignored_by(patterns, "repo/sub/x/b", True)


def tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_walk_include_exclude_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    tree(
        tmp_path,
        {
            ".gitignore": "ignored/\n*.local.yaml\n",
            "a.yaml": "",
            "b.yml": "",
            "c.json": "",
            "notes.txt": "",
            "ignored/x.yaml": "",
            "dev.local.yaml": "",
            "sub/.gitignore": "secret.yaml\n!dev.local.yaml\n",
            "sub/secret.yaml": "",
            "sub/dev.local.yaml": "",
            "sub/ok.yaml": "",
            "vendor/lib.yaml": "",
            ".git/config.yaml": "",
        },
    )
    walk = Walker(exclude=["vendor/"], cwd=tmp_path).walk([tmp_path])
    assert [c.display for c in walk.files] == [
        "a.yaml",
        "b.yml",
        "c.json",
        "sub/dev.local.yaml",
        "sub/ok.yaml",
    ]
    skipped = {s.display: s.reason for s in walk.skipped}
    assert skipped == {
        "dev.local.yaml": "ignored by .gitignore:2 ('*.local.yaml')",
        "ignored/": "ignored by .gitignore:1 ('ignored/')",
        "sub/secret.yaml": "ignored by sub/.gitignore:1 ('secret.yaml')",
        "vendor/": "excluded by --exclude 'vendor/'",
    }
    everything = Walker(gitignore=False, cwd=tmp_path).walk([tmp_path])
    assert "ignored/x.yaml" in [c.display for c in everything.files]


def test_gitignore_above_the_walked_directory_counts(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    tree(tmp_path, {".gitignore": "drafts/\n", "team/drafts/a.yaml": "", "team/b.yaml": ""})
    walk = Walker(cwd=tmp_path).walk([tmp_path / "team"])
    assert [c.display for c in walk.files] == ["team/b.yaml"]


def test_explicit_files_bypass_include_and_gitignore_not_exclude(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    tree(tmp_path, {".gitignore": "*.yaml\n", "a.yaml": "", "b.txt": "", "c.yaml": ""})
    walk = Walker(exclude=["c.yaml"], cwd=tmp_path).walk(
        [tmp_path / "a.yaml", tmp_path / "b.txt", tmp_path / "c.yaml", tmp_path / "gone.yaml"]
    )
    assert [c.display for c in walk.files] == ["a.yaml", "b.txt"]
    assert [(s.display, s.reason) for s in walk.skipped] == [("c.yaml", "excluded by --exclude 'c.yaml'")]
    assert walk.missing == ["gone.yaml"]


def test_custom_include(tmp_path: Path) -> None:
    tree(tmp_path, {"a.yaml": "", "flows/b.yaml": "", "flows/c.json": ""})
    walk = Walker(include=["flows/*.yaml"], cwd=tmp_path).walk([tmp_path])
    assert [c.display for c in walk.files] == ["flows/b.yaml"]


def test_extensions_match_whatever_their_case(tmp_path: Path) -> None:
    """A transfer in T.YAML, a.Yml or b.JSON is read like one in t.yaml: matching the
    extension case-sensitively let a prohibited transfer past the gate (attack pass)."""
    for name in ("T.YAML", "a.Yml", "b.JSON", "c.NdJson", "notes.TXT"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = Walker(cwd=tmp_path).walk([tmp_path])
    assert sorted(Path(c.display).name for c in found.files) == ["T.YAML", "a.Yml", "b.JSON", "c.NdJson"]
