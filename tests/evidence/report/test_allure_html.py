"""Finding an Allure CLI and driving it to an offline single-file HTML report.

The CLIs are stood in for by small executables that record how they were called and write an index.html as the
real ones do; one test drives the real CLI when one is installed (`allure` on PATH or $C8_DRILL_ALLURE).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.report_journals import passing_drill

from drill.evidence import read_journal
from drill.evidence.report.allure import write_allure_results
from drill.evidence.report.allure_html import ENV_VAR, AllureCli, AllureError, find_allure, generate_html
from drill.evidence.report.model import report_from_journal

CONFIGURED_ALLURE = os.environ.get(ENV_VAR)
"""Read before the autouse fixture hides it from every test but the one that drives the real CLI."""

# A stand-in CLI: prints its version, logs each call (with the Allure 3 config it was given, which lives in a
# temporary directory gone by the time the test looks) and writes index.html where the real major would.
FAKE = """#!{python}
import json, os, sys, time
from pathlib import Path
args = sys.argv[1:]
if args == ["--version"]:
    print({version_output!r})
    sys.exit({version_exit})
call = {{"argv": args, "cwd": os.getcwd()}}
if "--config" in args:
    call["config"] = json.loads(Path(args[args.index("--config") + 1]).read_text())
with open({log!r}, "a") as log:
    log.write(json.dumps(call) + "\\n")
time.sleep({sleep})
if {exit_code}:
    print("line 1\\nError: results are unreadable", file=sys.stderr)
    sys.exit({exit_code})
out = args[args.index("-o") + 1] if "-o" in args else call.get("config", {{}}).get("output")
if {writes} and out:
    Path(out).mkdir(parents=True, exist_ok=True)
    Path(out, "index.html").write_text("<html>report</html>")
"""


def fake_allure(
    directory: Path,
    version_output: str,
    *,
    version_exit: int = 0,
    exit_code: int = 0,
    writes: bool = True,
    sleep: float = 0,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "allure"
    path.write_text(
        FAKE.format(
            python=sys.executable,
            version_output=version_output,
            version_exit=version_exit,
            log=str(directory / "calls.jsonl"),
            exit_code=exit_code,
            writes=writes,
            sleep=sleep,
        )
    )
    path.chmod(0o755)
    return path


def calls(binary: Path) -> list[dict[str, Any]]:
    log = binary.parent / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture(autouse=True)
def no_configured_allure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A bin directory put first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


# find_allure


def test_no_allure_installed_is_none(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_allure(str(empty)) is None


def test_allure_2_on_path_is_found_with_its_version(on_path: Path) -> None:
    binary = fake_allure(on_path, "2.32.0")
    cli = find_allure()
    assert cli == AllureCli(str(binary), "2.32.0") and cli.major == 2


def test_allure_3_on_path_is_found_with_its_version(on_path: Path) -> None:
    binary = fake_allure(on_path, "3.18.0")
    cli = find_allure()
    assert cli == AllureCli(str(binary), "3.18.0") and cli.major == 3


def test_the_path_to_search_can_be_given(tmp_path: Path) -> None:
    binary = fake_allure(tmp_path / "elsewhere", "2.29.0")
    assert find_allure(str(binary.parent)) == AllureCli(str(binary), "2.29.0")


@pytest.mark.parametrize(
    ("output", "exit_code"),
    [("1.5.4", 0), ("4.0.0", 0), ("allure: command not understood", 0), ("2.32.0", 1)],
)
def test_an_allure_we_cannot_drive_is_not_found(on_path: Path, output: str, exit_code: int) -> None:
    fake_allure(on_path, output, version_exit=exit_code)
    assert find_allure() is None


def test_the_configured_binary_wins_over_path(on_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_allure(on_path, "2.32.0")
    configured = fake_allure(tmp_path / "opt", "3.18.0")
    monkeypatch.setenv(ENV_VAR, str(configured))
    assert find_allure() == AllureCli(str(configured), "3.18.0")


def test_a_configured_binary_that_is_not_allure_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing" / "allure"))
    with pytest.raises(AllureError, match=f"\\${ENV_VAR} does not name an Allure 2 or 3 CLI"):
        find_allure()


# generate_html


def test_allure_2_makes_a_single_file_report_with_flags(tmp_path: Path) -> None:
    binary = fake_allure(tmp_path / "bin", "2.32.0")
    results, out = tmp_path / "results", tmp_path / "html"
    results.mkdir()

    index = generate_html(AllureCli(str(binary), "2.32.0"), results, out)

    assert index == out / "index.html" and index.read_text() == "<html>report</html>"
    (call,) = calls(binary)
    assert call["argv"] == ["generate", "--single-file", "--clean", "-o", str(out), str(results)]


def test_allure_3_is_given_a_config_file_outside_the_working_directory(tmp_path: Path) -> None:
    binary = fake_allure(tmp_path / "bin", "3.18.0")
    results, out = tmp_path / "results", tmp_path / "html"
    results.mkdir()

    index = generate_html(AllureCli(str(binary), "3.18.0"), results, out)

    assert index == out / "index.html" and index.is_file()
    (call,) = calls(binary)
    argv = call["argv"]
    assert argv[:2] == ["generate", str(results)] and argv[2] == "--config"
    assert Path(argv[3]).name == "allurerc.json" and Path(argv[3]).parent == Path(call["cwd"])
    assert not Path(call["cwd"]).exists()  # the scratch directory is cleaned up
    assert call["config"] == {
        "name": "c8-dr-drill",
        "output": str(out),
        "plugins": {"awesome": {"options": {"singleFile": True, "reportLanguage": "en"}}},
    }


def test_relative_directories_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = fake_allure(tmp_path / "bin", "3.18.0")
    (tmp_path / "results").mkdir()
    monkeypatch.chdir(tmp_path)

    index = generate_html(AllureCli(str(binary), "3.18.0"), Path("results"), Path("html"))

    assert index == tmp_path / "html" / "index.html"
    (call,) = calls(binary)
    assert call["argv"][1] == str(tmp_path / "results") and call["config"]["output"] == str(tmp_path / "html")


@pytest.mark.parametrize("version", ["2.32.0", "3.18.0"])
def test_a_failing_run_names_the_command_exit_code_and_stderr(tmp_path: Path, version: str) -> None:
    binary = fake_allure(tmp_path / "bin", version, exit_code=3)

    with pytest.raises(AllureError) as raised:
        generate_html(AllureCli(str(binary), version), tmp_path / "results", tmp_path / "html")

    error = raised.value
    assert error.exit_code == 3 and error.argv[:2] == [str(binary), "generate"]
    assert str(error).startswith(f"{binary} generate ") and "exited with 3" in str(error)
    assert error.stderr.endswith("Error: results are unreadable")


def test_a_run_that_writes_no_report_is_an_error_even_with_a_stale_one(tmp_path: Path) -> None:
    binary = fake_allure(tmp_path / "bin", "3.18.0", writes=False)
    stale = tmp_path / "html" / "index.html"
    stale.parent.mkdir()
    stale.write_text("<html>last week</html>")

    with pytest.raises(AllureError, match=r"no .*index\.html was written"):
        generate_html(AllureCli(str(binary), "3.18.0"), tmp_path / "results", tmp_path / "html")


def test_a_run_that_hangs_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    binary = fake_allure(tmp_path / "bin", "2.32.0", sleep=30)
    started = time.monotonic()

    with pytest.raises(AllureError, match="timed out") as raised:
        generate_html(AllureCli(str(binary), "2.32.0"), tmp_path / "results", tmp_path / "html", timeout=0.5)

    assert raised.value.exit_code is None and "no result after 0.5 s" in raised.value.stderr
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_the_installed_allure_makes_an_html_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if CONFIGURED_ALLURE:
        monkeypatch.setenv(ENV_VAR, CONFIGURED_ALLURE)
    elif not shutil.which("allure"):
        pytest.skip(f"no Allure CLI installed (allure on PATH or ${ENV_VAR})")
    cli = find_allure()
    assert cli is not None, "the allure on PATH is not an Allure 2 or 3 CLI"
    journal = passing_drill(tmp_path / "journal.jsonl")
    write_allure_results(report_from_journal(journal), read_journal(journal), tmp_path / "results")

    index = generate_html(cli, tmp_path / "results", tmp_path / "html")

    assert index.is_file() and index.stat().st_size > 10_000
    assert "<html" in index.read_text(encoding="utf-8", errors="replace")[:2000].lower()
