"""Every command x format output of a tree, one file each, to compare two trees byte for byte
(issue 14: the output layer's restructuring changes no output). Not a test: run it on the
tree before a change and on the tree after, with the same FIXTURES directory (the first run
makes it: policies with lint findings and errors, a bad transfer, an audit store whose
records carry that run's timestamps), then ``diff -r OUT_BEFORE OUT_AFTER``::

    python tests/golden_outputs.py /tmp/base /tmp/out-base /tmp/fixtures
    python tests/golden_outputs.py .        /tmp/out-new  /tmp/fixtures

Each file holds stdout, then ``--stderr--`` and stderr, then the exit code.
"""

import os
import shutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    tree = Path(argv[1]).resolve()
    out = Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    os.environ.pop("NO_COLOR", None)
    from typer.testing import CliRunner

    from dataflow_rules.cli import app
    from tests.workbench.helpers import base_catalogue, write_policies
    from tests.workbench.test_lint import TRIGGERS

    fx = Path(argv[3]).resolve()
    if not fx.exists():
        fx.mkdir(parents=True)
        shutil.copytree(tree / "policies", fx / "diffnew")
        (fx / "diffnew" / "sg.yaml").unlink()  # a catalogue removed: diff has changes to report
        c = base_catalogue()
        for code in ("DFR030", "DFR021", "DFR017"):
            c = TRIGGERS[code](c)
        write_policies(fx / "lintwarn", {"nz.yaml": c})
        write_policies(fx / "linterr", {"nz.yaml": TRIGGERS["DFR011"](TRIGGERS["DFR030"](base_catalogue()))})
        bad = base_catalogue()
        bad["entries"][0]["categories"] = ["personal.heath"]
        bad["entries"][1]["when"] = {"purposes": ["nope"]}
        write_policies(fx / "bad", {"nz.yaml": bad})
        (fx / "badtransfer.yaml").write_text("id: x\norigin: CN\ndestination: US\ndate: nope\ndata: []\n")
    db = fx / "audit.sqlite"
    runner = CliRunner()

    def run(name, args, env=None):
        r = runner.invoke(app, args, env=env or {})
        (out / name).write_bytes(
            r.stdout_bytes + b"\n--stderr--\n" + r.stderr_bytes + f"\n--exit {r.exit_code}\n".encode()
        )

    if not db.exists():
        run(
            "_record",
            [
                "check",
                "--record",
                "--audit-db",
                str(db),
                "--requested-by",
                "golden",
                "--as-of",
                "2026-06-01",
                "examples/cn-us-pi-100000.yaml",
                "examples/us-cn-genomic-101.yaml",
                "examples/cn-sg-manufacturing.yaml",
            ],
        )
    examples = sorted(str(p) for p in Path("examples").glob("*.yaml"))
    AS = ["--as-of", "2026-06-01"]
    for fmt in ("text", "json"):
        for e in examples:
            run(f"check-{fmt}-{Path(e).stem}", ["check", "-f", fmt, *AS, e])
        run(f"check-{fmt}-all", ["check", "--format", fmt, *AS, *examples])
        run(f"check-{fmt}-bad", ["check", "--format", fmt, *AS, str(fx / "badtransfer.yaml"), "examples"])
        run(
            f"check-{fmt}-badpol", ["check", "--format", fmt, "--policies", str(fx / "bad"), *AS, examples[0]]
        )
    run("check-text-colour", ["check", "--colour", *AS, *examples])
    run("check-unknown", ["check", "--format", "sarif", *AS, examples[0]])
    run("check-help", ["check", "--help"])
    kinds = [
        None,
        "purposes",
        "recipients",
        "transactions",
        "categories",
        "mechanisms",
        "security",
        "context",
        "lanes",
    ]
    for fmt in ("text", "markdown"):
        for k in kinds:
            run(f"vocab-{fmt}-{k}", ["vocab", "-f", fmt, *([k] if k else [])])
    run("vocab-unknown", ["vocab", "-f", "json"])
    run("vocab-help", ["vocab", "--help"])
    for fmt in ("text", "json"):
        for d in ("", "bad", "lintwarn"):
            run(f"validate-{fmt}-{d or 'shipped'}", ["validate", *([str(fx / d)] if d else []), "-f", fmt])
    run("validate-unknown", ["validate", "-f", "sarif"])
    run("validate-help", ["validate", "--help"])
    for fmt in ("text", "json", "sarif"):
        for d in ("", "bad", "lintwarn", "linterr"):
            run(f"lint-{fmt}-{d or 'shipped'}", ["lint", *([str(fx / d)] if d else []), "-f", fmt, *AS])
    run("lint-unknown", ["lint", "-f", "markdown"])
    run("lint-help", ["lint", "--help"])
    for fmt in ("text", "json"):
        run(f"test-{fmt}", ["test", "policies-tests", "-f", fmt])
        run(f"test-{fmt}-v", ["test", "policies-tests", "-f", fmt, "-v", "--threshold", "99.5"])
        run(f"explain-{fmt}", ["explain", "-f", fmt, *AS, "examples/cn-us-pi-100000.yaml"])
        run(f"explain-{fmt}-all", ["explain", "-f", fmt, "--all", *AS, "examples/us-cn-genomic-101.yaml"])
    for fmt in ("text", "json", "markdown", "html"):
        run(
            f"diff-{fmt}",
            [
                "diff",
                "policies",
                str(fx / "diffnew"),
                "-c",
                "examples",
                "-j",
                "1",
                "--no-progress",
                "-f",
                fmt,
                *AS,
            ],
        )
    for fmt in ("text", "json", "sarif", "junit", "github", "html"):
        run(f"scan-{fmt}", ["scan", "examples/scan", "-f", fmt, *AS])
        run(f"scan-{fmt}-ex", ["scan", "examples", "-f", fmt, *AS])
    run("scan-compact", ["scan", "examples", "--compact", *AS])
    run("scan-quiet", ["scan", "examples", "--quiet", *AS])
    run("scan-unknown", ["scan", "examples", "-f", "xml"])
    run("scan-help", ["scan", "--help"])
    for fmt in ("text", "json"):
        run(f"audit-list-{fmt}", ["audit", "list", "--audit-db", str(db), "-f", fmt])
        run(
            f"audit-list-{fmt}-none",
            ["audit", "list", "--audit-db", str(db), "-f", fmt, "--transfer", "nope"],
        )
        run(f"audit-show-{fmt}", ["audit", "show", "2", "--audit-db", str(db), "-f", fmt])
        run(f"audit-show-{fmt}-missing", ["audit", "show", "99", "--audit-db", str(db), "-f", fmt])
    run("audit-list-unknown", ["audit", "list", "--audit-db", str(db), "-f", "csv"])
    for fmt in ("csv", "json"):
        run(f"audit-export-{fmt}", ["audit", "export", "--audit-db", str(db), "-f", fmt])
        o = fx / f"export.{fmt}"
        o.unlink(missing_ok=True)
        run(f"audit-export-{fmt}-file", ["audit", "export", "--audit-db", str(db), "-f", fmt, "-o", str(o)])
        shutil.copy(o, out / f"audit-export-{fmt}-file.out")
    run("audit-export-default", ["audit", "export", "--audit-db", str(db)])
    run("audit-export-unknown", ["audit", "export", "--audit-db", str(db), "-f", "text"])
    run("audit-verify", ["audit", "verify", "--audit-db", str(db)])
    for sub in ("list", "show", "export", "verify"):
        run(f"audit-{sub}-help", ["audit", sub, "--help"])
    for command in ("test", "diff", "explain", "serve"):
        run(f"{command}-help", [command, "--help"])
    print(len(list(out.iterdir())), "files")


if __name__ == "__main__":
    main(sys.argv)
