"""The data volume and throughput options (`--es-data-gb`, `--restore-s-per-gib`, `--snapshot-s-per-gib`) on
`c8-drill run`, `c8-drill sim up` and the pytest plugin: bad numbers are one line and exit 2 before anything runs;
good ones reach the drill's pytest child, its simulator and its forecast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from drill import launch
from drill.cli import main
from drill.procedure.params import DataVolume
from fixtures import plugin


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[launch.RunRequest]:
    """Every drill `c8-drill run` launches, none run; and no simulator may start."""
    requests: list[launch.RunRequest] = []

    def fake_run(request: launch.RunRequest, on_record: object, ask: object = None) -> launch.Finished:
        requests.append(request)
        return launch.Finished(0, False, False, request.report_dir / "pytest.log", {})

    def no_simulator(*args: object, **kwargs: object) -> None:
        raise AssertionError("a simulator was started")

    monkeypatch.setattr(launch, "run", fake_run)
    monkeypatch.setattr("drill.sim.runtime.SimRuntime", no_simulator)
    return requests


def one_line(result: Result, command: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"c8-drill {command}: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--es-data-gb", "-1"], "Expected --es-data-gb to be a finite number of GiB >= 0, got -1.0"),
        (["--es-data-gb", "nan"], "Expected --es-data-gb to be a finite number of GiB >= 0, got nan"),
        (["--es-data-gb", "lots"], "'--es-data-gb': 'lots' is not a valid float"),
        (["--restore-s-per-gib", "0"], "Expected --restore-s-per-gib to be a finite number of seconds per GiB > 0"),
        (["--snapshot-s-per-gib", "-3"], "Expected --snapshot-s-per-gib to be a finite number of seconds per GiB"),
        (["--snapshot-s-per-gib", "inf"], "got inf"),
    ],
)
@pytest.mark.parametrize("command", ["run", "sim up"])
def test_a_bad_number_is_one_line_and_nothing_runs(
    tmp_path: Path, launched: list[launch.RunRequest], command: str, args: list[str], words: str
) -> None:
    where = ["--lost-region", "1", "--report-dir", str(tmp_path / "reports")] if command == "run" else []
    line = one_line(CliRunner().invoke(main, [*command.split(), *where, *args]), command)
    assert words in line
    assert launched == [] and not (tmp_path / "reports").exists()


def test_a_running_simulator_keeps_its_own_data_volume(tmp_path: Path, launched: list[launch.RunRequest]) -> None:
    argv = ["run", "--lost-region", "1", "--endpoints", str(tmp_path / "ep.json"), "--es-data-gb", "5"]
    argv += ["--snapshot-s-per-gib", "4", "--report-dir", str(tmp_path / "reports")]
    line = one_line(CliRunner().invoke(main, argv), "run")
    assert "--es-data-gb, --snapshot-s-per-gib set the simulator this command starts; with --endpoints" in line
    assert "`c8-drill sim up` gave it" in line
    assert launched == [] and not (tmp_path / "reports").exists()


def test_good_numbers_reach_the_drills_pytest(tmp_path: Path, launched: list[launch.RunRequest]) -> None:
    argv = ["run", "--lost-region", "1", "--report-dir", str(tmp_path / "reports"), "--es-data-gb", "2.5"]
    argv += ["--restore-s-per-gib", "9", "--snapshot-s-per-gib", "7"]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    (request,) = launched
    assert request.es_data == DataVolume(2.5, 9, 7)
    child = request.pytest_argv(Path("features"))
    assert child[child.index("--es-data-gb") :][:6] == [
        "--es-data-gb", "2.5", "--restore-s-per-gib", "9.0", "--snapshot-s-per-gib", "7.0"
    ]  # fmt: skip


def test_the_defaults_are_no_data_and_the_published_restore_figure(
    tmp_path: Path, launched: list[launch.RunRequest]
) -> None:
    result = CliRunner().invoke(main, ["run", "--lost-region", "0", "--report-dir", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    assert launched[0].es_data == DataVolume(0.0, 11.0, 8.0)


# -- the pytest plugin ---------------------------------------------------------------------------------------------


class Options:
    """The plugin's options parsed as pytest parses them, for `settings_from` (all it reads is getoption)."""

    def __init__(self, *args: str) -> None:
        parser = pytest.Parser(_ispytest=True)  # pytest's own parser; public type, private constructor flag
        plugin.pytest_addoption(parser)
        self.namespace = parser.parse(list(args))

    def getoption(self, name: str) -> object:
        return getattr(self.namespace, name)


def test_the_plugin_puts_the_data_volume_into_the_simulator_and_the_drill() -> None:
    settings = plugin.settings_from(Options("--es-data-gb", "3", "--restore-s-per-gib", "5"))  # type: ignore[arg-type]
    assert settings.target.es_data == settings.params.data == DataVolume(3.0, 5.0, 8.0)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--es-data-gb", "-1"], "Expected --es-data-gb to be a finite number of GiB >= 0, got -1.0"),
        (["--restore-s-per-gib", "nan"], "Expected --restore-s-per-gib to be a finite number of seconds per GiB > 0"),
        (["--endpoints", "ep.json", "--lost-region", "1", "--es-data-gb", "1"], "--es-data-gb set the simulator"),
    ],
)
def test_the_plugin_refuses_the_same_numbers_as_a_usage_error(args: list[str], words: str) -> None:
    with pytest.raises(pytest.UsageError, match=re.escape(words)):
        plugin.settings_from(Options(*args))  # type: ignore[arg-type]
