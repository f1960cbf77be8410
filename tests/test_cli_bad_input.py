"""Bad input to any `c8-drill` command: one line on stderr naming what was expected and what was seen, exit code 2,
and nothing changed (no report folder made or archived, no journal, no simulator started, no drill launched).

Most cases run in process (click's CliRunner keeps stderr apart from stdout); a few go through the installed
`c8-drill` entry point to prove the real command behaves the same. One real drill drives a simulator the test
started, through its endpoints file.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from drill import launch
from drill.cli import main
from drill.endpoints_file import read_endpoints, verify_endpoints
from drill.procedure.params import Shape
from drill.sim.runtime import SimRuntime

C8_DRILL = Path(sys.executable).parent / "c8-drill"
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- {name: k0, cluster: {server: "https://127.0.0.1:1"}}
- {name: k1, cluster: {server: "https://127.0.0.1:2"}}
users:
- {name: u, user: {token: t}}
contexts:
- {name: eks-london, context: {cluster: k0, user: u}}
- {name: eks-paris, context: {cluster: k1, user: u}}
"""
VALUES = "orchestration:\n  clusterSize: 8\n  partitionCount: 8\n  replicationFactor: 4\n"
NOT_JSON_LINES = '{\n  "kind": "journal",\n  "format": "c8-drill-journal/1"\n}\n'


@dataclass
class Env:
    """What a case may need: a scratch folder, the report folder it must leave alone, a kubeconfig and running
    simulators (started for the case, before the command runs)."""

    tmp: Path
    reports: Path
    make_runtime: Callable[..., SimRuntime]
    monkeypatch: pytest.MonkeyPatch

    def file(self, name: str, content: str | bytes) -> str:
        path = self.tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return str(path)

    def with_kubeconfig(self, content: str | None = KUBECONFIG, name: str = "kubeconfig") -> Env:
        """$KUBECONFIG names this file (None: a file that does not exist)."""
        path = self.tmp / name
        if content is not None:
            path.write_text(content)
        self.monkeypatch.setenv("KUBECONFIG", str(path))
        return self

    def endpoints(self, edit: Callable[[dict[str, Any]], None] | None = None, name: str = "endpoints.json") -> str:
        """The endpoints file of a simulator started for this case, edited before it is written."""
        endpoints = self.make_runtime().endpoints()
        if edit is not None:
            edit(endpoints)
        return self.file(name, json.dumps(endpoints))

    def run(self, *args: str) -> list[str]:
        return ["run", "--lost-region", "1", "--report-dir", str(self.reports), *args]

    def kube(self, *args: str, contexts: tuple[str, str] = ("eks-london", "eks-paris")) -> list[str]:
        return self.run("--target", "kube", "--context", *contexts, *args)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit of one endpoint (None: remove it)."""

    def edit(endpoints: dict[str, Any]) -> None:
        *path, last = key.split(".")
        node = endpoints
        for part in path:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value

    return edit


def _closed_port_url() -> str:
    """A loopback URL nobody listens on: a simulator that was stopped."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _copy_region0(endpoints: dict[str, Any]) -> None:
    endpoints["region1"] = dict(endpoints["region0"])


LIE = _set("region1.gateway", "http://127.0.0.1:1")
LIE_WORDS = ("endpoints.json lies: region1.gateway is http://127.0.0.1:1 but the simulator at", "serves it at http://")


# (id, arguments built from the Env, words the one line must contain)
Case = tuple[str, Callable[[Env], list[str]], tuple[str, ...]]
CASES: list[Case] = [
    # malformed options
    ("lost-region-2", lambda e: [*e.run(), "--lost-region", "2"], ("'--lost-region'", "'2'", "'0', '1', 'both'")),
    ("time-scale-negative", lambda e: e.run("--time-scale", "-1"), ("'--time-scale'", "-1")),
    ("time-scale-abc", lambda e: e.run("--time-scale", "abc"), ("'--time-scale'", "'abc'")),
    ("target-nope", lambda e: e.run("--target", "nope"), ("'--target'", "'nope'", "'sim', 'kind', 'kube'")),
    ("failover-budget-0", lambda e: e.run("--failover-budget", "0"), ("'--failover-budget'", "0")),
    ("context-one-value", lambda e: e.run("--context", "a"), ("'--context'", "2 arguments")),
    ("unknown-option", lambda e: e.run("--lost", "1"), ("--lost",)),
    ("unknown-command", lambda e: ["drill"], ("No such command 'drill'",)),
    ("kube-without-context", lambda e: e.run("--target", "kube"), ("--target kube needs --context",)),
    # kube contexts
    (
        "same-context-twice",
        lambda e: e.run("--target", "kube", "--context", "eks-paris", "eks-paris"),
        ("the lost region would equal the surviving one", "'eks-paris'"),
    ),
    (
        "missing-context",
        lambda e: e.with_kubeconfig().kube(contexts=("eks-london", "eks-berlin")),
        ("kube context 'eks-berlin' (region 1) is not in the kubeconfig", "it defines: eks-london, eks-paris"),
    ),
    (
        "missing-kubeconfig",
        lambda e: e.with_kubeconfig(None, "absent").kube(),
        ("expected a kubeconfig", "absent", "found no such file"),
    ),
    (
        "kubeconfig-not-yaml",
        lambda e: e.with_kubeconfig("contexts: [\n  - name: x\n").kube(),
        ("kubeconfig is not valid YAML at ", "kubeconfig line 2 column 3: expected the node content"),
    ),
    (
        "kubeconfig-not-a-kubeconfig",
        lambda e: e.with_kubeconfig("- just\n- a list\n").kube(),
        ("kubeconfig", "is not a kubeconfig: expected a mapping with a list of named contexts"),
    ),
    # values files
    (
        "values-with-sim",
        lambda e: e.run("--values", e.file("v.yaml", VALUES)),
        ("--values", "target kube only", "got target sim"),
    ),
    (
        "values-missing",
        lambda e: e.with_kubeconfig().kube("--values", str(e.tmp / "nope.yaml")),
        ("values file", "nope.yaml: expected a YAML file, but it does not exist"),
    ),
    (
        "values-bad-yaml",
        lambda e: e.with_kubeconfig().kube("--values", e.file("bad.yaml", "orchestration:\n  clusterSize: [8\n")),
        ("bad.yaml: expected YAML, got a syntax error at line 3, column 1", "expected ',' or ']'"),
    ),
    # traffic rerouting
    (
        "public-endpoint-not-a-url",
        lambda e: e.run("--public-endpoint", "camunda.example.com"),
        ("--public-endpoint", "http(s) URL with a host", "'camunda.example.com'"),
    ),
    (
        "reroute-command-empty",
        lambda e: e.run("--reroute-command", " "),
        ("--reroute-command", "a command, got an empty string"),
    ),
    (
        "values-a-list",
        lambda e: e.with_kubeconfig().kube("--values", e.file("list.yaml", "- 8\n- 8\n")),
        ("list.yaml: expected a YAML mapping, got a list",),
    ),
    (
        "values-without-shape",
        lambda e: e.with_kubeconfig().kube("--values", e.file("v.yaml", "global: {}\n")),
        ("v.yaml", "'orchestration' section"),
    ),
    (
        "values-odd-cluster",
        lambda e: e.with_kubeconfig().kube(
            "--values", e.file("a.yaml", VALUES), "--values", e.file("b.yaml", "orchestration:\n  clusterSize: 7\n")
        ),
        ("values files ", "a.yaml, ", "b.yaml: Expected an even clusterSize", "got 7"),
    ),
    # the deployment's shape
    ("cluster-size-odd", lambda e: e.run("--cluster-size", "7"), ("Expected an even clusterSize", "got 7")),
    (
        "replication-above-cluster",
        lambda e: e.run("--cluster-size", "4", "--replication-factor", "6"),
        ("Expected replicationFactor between 1 and clusterSize 4", "got 6"),
    ),
    ("partitions-0", lambda e: e.run("--partitions", "0"), ("'--partitions'", "0")),
    (
        "shape-against-kind-profile",
        lambda e: e.run("--target", "kind", "--plan", "--cluster-size", "8"),
        ("--cluster-size 8: the kind profile small is installed with clusterSize 4, partitions 2",),
    ),
    (
        "shape-against-running-simulator",
        lambda e: e.run("--endpoints", e.endpoints(), "--partitions", "3"),
        ("--partitions 3: the running simulator is installed with clusterSize 8, partitions 8",),
    ),
    # the endpoints file of a running simulator
    (
        "endpoints-with-kind",
        lambda e: e.run("--target", "kind", "--endpoints", e.file("ep.json", "{}")),
        ("--endpoints", "expected target sim, got target kind"),
    ),
    (
        "endpoints-with-time-scale",
        lambda e: e.run("--endpoints", e.file("ep.json", "{}"), "--time-scale", "1"),
        ("--time-scale", "--endpoints"),
    ),
    (
        "endpoints-both-regions",
        lambda e: [*e.run("--endpoints", e.endpoints()), "--lost-region", "both"],
        ("--endpoints drives one running simulator through one drill", "got both"),
    ),
    ("endpoints-missing", lambda e: e.run("--endpoints", str(e.tmp / "gone.json")), ("gone.json", "does not exist")),
    (
        "endpoints-not-json",
        lambda e: e.run("--endpoints", e.file("ep.json", "control: http://x\n")),
        ("ep.json is unusable: expected JSON, got invalid JSON at line 1 column 1",),
    ),
    (
        "endpoints-an-array",
        lambda e: e.run("--endpoints", e.file("ep.json", "[]")),
        ("ep.json", "expected a JSON object, got a JSON array"),
    ),
    (
        "endpoints-without-region1",
        lambda e: e.run("--endpoints", e.endpoints(_set("region1", None))),
        ("endpoints.json", "got no region1", "keys: control, public, region0"),
    ),
    (
        "endpoints-not-a-url",
        lambda e: e.run("--endpoints", e.endpoints(_set("region0.management", "localhost:9600"))),
        ("region0.management", "http(s) URL", "'localhost:9600'"),
    ),
    (
        "endpoints-same-region-twice",
        lambda e: e.run("--endpoints", e.endpoints(_copy_region0)),
        ("the lost region would equal the surviving one", "region0.gateway and region1.gateway are both"),
    ),
    ("endpoints-lie", lambda e: e.run("--endpoints", e.endpoints(LIE)), LIE_WORDS),
    (
        "endpoints-of-a-stopped-simulator",
        lambda e: e.run("--endpoints", e.endpoints(_set("control", _closed_port_url()))),
        ("endpoints.json", "GET http://127.0.0.1:", "/endpoints, got connection refused"),
    ),
    # the other commands
    ("plan-lost-region-3", lambda e: ["plan", "--lost-region", "3"], ("'--lost-region'", "'3'")),
    (
        "plan-values-bad-yaml",
        lambda e: ["plan", "--lost-region", "1", "--values", e.file("bad.yaml", "a: b: c\n")],
        ("bad.yaml", "line 1, column 5", "mapping values are not allowed here"),
    ),
    ("kind-up-profile-nope", lambda e: ["kind", "up", "--profile", "nope"], ("'--profile'", "'nope'")),
    ("sim-up-cluster-size-3", lambda e: ["sim", "up", "--cluster-size", "3"], ("'--cluster-size'", "got 3")),
]

# A file that is not ours, for report and verify.
STRANGERS: list[tuple[str, Callable[[Env], str], tuple[str, ...]]] = [
    ("a-directory", lambda e: str(e.reports), ("is a directory",)),
    ("missing", lambda e: str(e.tmp / "journal.jsonl"), ("journal.jsonl", "does not exist")),
    ("empty", lambda e: e.file("empty.jsonl", ""), ("not a c8-dr-drill journal", "the file is empty")),
    ("binary", lambda e: e.file("core.bin", b"\x7fELF\x02\x01\x00\xff\xfe\n\x00"), ("not a c8-dr-drill journal",)),
    (
        "other-tools-json-lines",
        lambda e: e.file("events.jsonl", '{"level":"info","msg":"hi"}\n{"level":"warn"}\n'),
        ("not a c8-dr-drill journal", "line 1 has kind None, expected 'journal'"),
    ),
    (
        "json-not-lines",
        lambda e: e.file("report.json", NOT_JSON_LINES),
        ("not a c8-dr-drill journal", "line 1 is not JSON"),
    ),
]
for name, journal, words in STRANGERS:
    CASES.append((f"verify-{name}", lambda e, j=journal: ["verify", j(e)], words))
    CASES.append((f"report-{name}", lambda e, j=journal: ["report", j(e), "--out", str(e.tmp / "out")], words))


@pytest.fixture
def env(tmp_path: Path, make_runtime: Callable[..., SimRuntime], monkeypatch: pytest.MonkeyPatch) -> Env:
    """A report folder holding earlier drills (which a run would archive) and a sentinel file."""
    reports = tmp_path / "reports"
    for folder in ("lost-region-0", "lost-region-1"):
        (reports / folder).mkdir(parents=True)
        (reports / folder / "journal.jsonl").write_text(f"an earlier drill's evidence in {folder}\n")
    (reports / "sentinel").write_text("left alone\n")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return Env(tmp_path, reports, make_runtime, monkeypatch)


@dataclass
class Spies:
    launched: list[launch.RunRequest] = field(default_factory=list)
    simulators: list[object] = field(default_factory=list)


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> Spies:
    """Records every drill launched; `forbid_simulators` then records (and refuses) every simulator started."""
    spies = Spies()

    def fake_run(request: launch.RunRequest, on_record: object, ask: object = None) -> launch.Finished:
        spies.launched.append(request)
        return launch.Finished(0, False, False, request.report_dir / "pytest.log", {})

    monkeypatch.setattr(launch, "run", fake_run)
    return spies


def forbid_simulators(spies: Spies, monkeypatch: pytest.MonkeyPatch) -> None:
    """Called once a case has started the simulators it needs itself."""

    def no_simulator(*args: object, **kwargs: object) -> None:
        spies.simulators.append(args)
        raise RuntimeError("a refused command started a simulator")

    monkeypatch.setattr("drill.sim.runtime.SimRuntime", no_simulator)


def listing(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


def command_of(argv: list[str]) -> str:
    """`c8-drill kind up` from `["kind", "up", ...]`: the command path click names in its messages."""
    words = ["c8-drill"]
    for arg in argv:
        if arg not in ("run", "plan", "report", "verify", "kind", "sim", "up", "down"):
            break
        words.append(arg)
    return " ".join(words)


def assert_one_line(result: Result | subprocess.CompletedProcess[str], argv: list[str], words: tuple[str, ...]) -> str:
    code = result.exit_code if isinstance(result, Result) else result.returncode
    assert code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip() and result.stderr.endswith("\n"), result.stderr
    line = lines[0]
    assert line.startswith(f"{command_of(argv)}: error: "), line
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    return line


@pytest.mark.parametrize(("args", "words"), [pytest.param(c[1], c[2], id=c[0]) for c in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    env: Env,
    spies: Spies,
    monkeypatch: pytest.MonkeyPatch,
    args: Callable[[Env], list[str]],
    words: tuple[str, ...],
) -> None:
    argv = args(env)
    forbid_simulators(spies, monkeypatch)
    before = listing(env.tmp)
    result = CliRunner().invoke(main, argv)
    assert_one_line(result, argv, words)
    assert listing(env.tmp) == before  # the report folder (nothing archived, nothing new) and every other file
    assert spies.launched == [] and spies.simulators == []


def test_a_lost_region_in_the_running_simulator_is_named(env: Env, spies: Spies) -> None:
    runtime = env.make_runtime()
    path = env.tmp / "endpoints.json"
    runtime.write_endpoints(path)
    httpx.post(f"{runtime.endpoints()['control']}/regions/1/lose", timeout=10).raise_for_status()
    before = listing(env.tmp)
    argv = env.run("--endpoints", str(path))
    line = assert_one_line(CliRunner().invoke(main, argv), argv, ("does not answer (connection refused)", "lost?"))
    assert f"region1.gateway {runtime.endpoints()['region1']['gateway']} does not answer" in line
    assert listing(env.tmp) == before and spies.launched == []


def test_good_input_reaches_the_drill(env: Env, spies: Spies) -> None:
    """The checks refuse what is wrong, not what is unusual: a kubeconfig without a current-context, one namespace
    name in both clusters, values split over files, a truthful endpoints file."""
    values = [env.file("base.yaml", VALUES), env.file("region.yaml", "orchestration:\n  replicationFactor: 2\n")]
    kube = env.with_kubeconfig().kube("--namespace", "camunda", "camunda", "--values", values[0], "--values", values[1])
    result = CliRunner().invoke(main, kube)
    assert result.exit_code == 0, result.output
    endpoints = env.endpoints()
    result = CliRunner().invoke(main, env.run("--endpoints", endpoints))
    assert result.exit_code == 0, result.output
    kube_request, sim_request = spies.launched
    assert kube_request.values_files == tuple(Path(v) for v in values)
    assert kube_request.namespaces == ("camunda", "camunda")
    assert sim_request.endpoints_file == Path(endpoints)
    argv = sim_request.pytest_argv(Path("features"))
    assert argv[argv.index("--endpoints") + 1] == endpoints
    # the shape: kube's from its values files merged (the region file lowers replicationFactor), the running
    # simulator's from itself
    assert kube_request.shape == Shape(8, 8, 2) and sim_request.shape == Shape(8, 8, 4)
    assert argv[argv.index("--cluster-size") :][:6] == [
        "--cluster-size", "8", "--partitions", "8", "--replication-factor", "4"
    ]  # fmt: skip


def test_the_shape_given_is_the_shape_the_drill_expects(env: Env, spies: Spies) -> None:
    """Each number given overrides its own: on the embedded simulator (started with it) and over kube's values."""
    result = CliRunner().invoke(main, env.run("--cluster-size", "64", "--partitions", "128"))
    assert result.exit_code == 0, result.output
    kube = env.with_kubeconfig().kube("--values", env.file("v.yaml", VALUES), "--replication-factor", "2")
    result = CliRunner().invoke(main, kube)
    assert result.exit_code == 0, result.output
    sim_request, kube_request = spies.launched
    assert sim_request.shape == Shape(64, 128, 4)
    assert kube_request.shape == Shape(8, 8, 2)


def test_an_endpoints_file_that_tells_the_truth_verifies(env: Env) -> None:
    runtime = env.make_runtime()
    path = env.tmp / "endpoints.json"
    runtime.write_endpoints(path)
    assert verify_endpoints(path) == read_endpoints(path) == runtime.endpoints()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--lost-region", "2"], ("'--lost-region'", "'2'")),
        (["plan", "--lost-region", "3"], ("'--lost-region'", "'3'")),
        (["verify", "EMPTY"], ("not a c8-dr-drill journal", "the file is empty")),
        (["run", "--lost-region", "1", "--endpoints", "LIES"], LIE_WORDS),
    ],
    ids=["run", "plan", "verify", "endpoints-lie"],
)
def test_the_installed_entry_point_says_it_in_one_line(env: Env, args: list[str], words: tuple[str, ...]) -> None:
    files = {"EMPTY": lambda: env.file("empty.jsonl", ""), "LIES": lambda: env.endpoints(LIE)}
    argv = [files[a]() if a in files else a for a in args]
    if argv[0] == "run":
        argv += ["--report-dir", str(env.reports)]
    before = listing(env.tmp)
    done = subprocess.run([str(C8_DRILL), *argv], capture_output=True, text=True, timeout=60)
    assert_one_line(done, argv, words)
    assert listing(env.tmp) == before


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--endpoints", "LIES"], LIE_WORDS),
        (["--endpoints", "LIES", "--lost-region", "both"], ("through one drill", "got both")),
        (["--target", "kube", "--context0", "eks-london", "--context1", "eks-rome"], ("'eks-rome'", "eks-paris")),
        (["--public-endpoint", "ftp://camunda.example.com"], ("--public-endpoint", "'ftp://camunda.example.com'")),
    ],
    ids=["endpoints-lie", "endpoints-both-regions", "missing-context", "public-endpoint-not-http"],
)
def test_plain_pytest_refuses_the_same_input_before_any_report(
    env: Env, options: list[str], words: tuple[str, ...]
) -> None:
    env.with_kubeconfig()
    options = [env.endpoints(LIE) if o == "LIES" else o for o in options]
    before = listing(env.tmp)
    pytest_argv = [sys.executable, "-m", "pytest", str(launch.features_dir()), "-p", "no:cacheprovider", "-q"]
    done = subprocess.run(
        [*pytest_argv, "--report-dir", str(env.reports), "--lost-region", "1", *options],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and all(word in errors[0] for word in words), done.stderr
    assert listing(env.tmp) == before


@pytest.mark.slow
def test_run_drives_a_simulator_that_is_already_running(env: Env) -> None:
    """One real drill (~3 s) against a simulator this test started: the drill changes that simulator, starts
    none of its own, and leaves it running."""
    runtime = env.make_runtime()
    path = env.tmp / "drill-endpoints.json"
    runtime.write_endpoints(path)
    control = runtime.endpoints()["control"]
    before = httpx.get(f"{control}/state", timeout=10).json()
    argv = ["run", "--endpoints", str(path), "--lost-region", "1", "--report-dir", str(env.tmp / "r")]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    after = httpx.get(f"{control}/state", timeout=10).json()
    for region in ("0", "1"):
        assert after["regions"][region]["release"]["revision"] > before["regions"][region]["release"]["revision"]
        assert after["regions"][region]["servicesUp"]
    assert after["zeebe"]["processInstances"] > before["zeebe"]["processInstances"]
    journal = (env.tmp / "r" / "lost-region-1" / "journal.jsonl").read_text()
    assert runtime.endpoints()["region0"]["gateway"] in journal  # the drill talked to this simulator
    report = json.loads((env.tmp / "r" / "lost-region-1" / "report.json").read_text())
    assert (report["target"], report["verdict"]) == ("sim", "passed")
