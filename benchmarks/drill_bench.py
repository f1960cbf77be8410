"""How fast and how lean the drill itself is (issue 8), printed as tables and as JSON; never a timed unit test.

Sections (any can be skipped with --skip):

- scale: `c8-drill run` on the simulator at time scale 0, both lost regions, per (clusterSize, partitions): wall
  time and peak RSS of its process tree, the median of --runs, with figures per (brokers x partitions) so that
  growth worse than linear shows;
- cost: per drill (lost region), the journal's records and bytes and the time to render every report from it;
- overhead: in one run, alternately, (a) the drill in this process with its checks, journal and reports and (b) a
  bare replay of the same HTTP calls by plain httpx; ratio = median(a) / median(b), and whether the replay did the
  same work;
- detection: one drill at a realistic --time-scale; for each of its waits, the time from the awaited work
  completing in the simulator (its GET /timeline) to the wait observing it, against max(250 ms, 10 % of the wait).

Every figure is shown against its target with a verdict; a miss is printed like a pass, never left out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # support.drive: a drill driven without pytest-bdd

from drillbench.cost import JournalCost, journal_cost  # noqa: E402
from drillbench.detection import Detection, detections  # noqa: E402
from drillbench.inprocess import DrillRun, control_get, run_drill  # noqa: E402
from drillbench.process import Measured, run_measured  # noqa: E402
from drillbench.replay import origin_map, plan, replay, same_work  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from drill.evidence.journal import read_journal  # noqa: E402
from drill.sim.model.deployment import SimSettings  # noqa: E402
from drill.sim.runtime import SimRuntime  # noqa: E402

SECTIONS = ("scale", "cost", "overhead", "detection")
REPLICATION_FACTOR = 4
# The rows: clusterSize -> partitions (partitions up to 128).
PARTITIONS = {4: 4, 8: 8, 16: 32, 32: 64, 64: 128}
SMALL_WALL_S, SMALL_RSS_MB, LARGE_WALL_S, OVERHEAD_RATIO = 2.0, 200.0, 10.0, 1.5
RUN_TIMEOUT_S = 600.0
console = Console(width=170)


class BadInput(Exception):
    """Bad command-line input: one line naming what was expected and what was seen."""


@dataclass(frozen=True)
class Size:
    cluster_size: int
    partitions: int

    @property
    def product(self) -> int:
        return self.cluster_size * self.partitions

    def label(self) -> str:
        return f"{self.cluster_size}x{self.partitions}"

    def settings(self, time_scale: float = 0.0) -> SimSettings:
        return SimSettings(
            cluster_size=self.cluster_size,
            partitions=self.partitions,
            replication_factor=REPLICATION_FACTOR,
            time_scale=time_scale,
        )


@dataclass
class Target:
    name: str
    target: str
    measured: str
    verdict: str  # met, missed, not measured

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "target": self.target, "measured": self.measured, "verdict": self.verdict}


@dataclass
class Bench:
    runs: int
    sizes: list[Size]
    time_scale: float
    detection_size: Size
    overhead_size: Size
    skip: set[str]
    figures: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # a drill that failed: the figures around it mean little


# -- input ---------------------------------------------------------------------------------------------------


def parse_size(text: str) -> Size:
    """`8` (the issue's partitions for that size) or `8:16` (clusterSize:partitions)."""
    size, _, parts = text.strip().partition(":")
    try:
        cluster_size = int(size)
        partitions = int(parts) if parts else PARTITIONS[cluster_size]
    except (ValueError, KeyError):
        known = ", ".join(str(s) for s in PARTITIONS)
        raise BadInput(
            f"expected a cluster size among {known} or clusterSize:partitions (e.g. 8:16), got {text!r}"
        ) from None
    if cluster_size < REPLICATION_FACTOR or cluster_size % 2 or partitions < 1:
        raise BadInput(
            f"expected an even clusterSize >= {REPLICATION_FACTOR} (replicationFactor {REPLICATION_FACTOR}) and "
            f"partitions >= 1, got {text!r}"
        )
    return Size(cluster_size, partitions)


def parse_args(argv: Sequence[str]) -> Bench:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; medians are reported (default 3)")
    parser.add_argument(
        "--sizes", default="4,8,16,32,64", help="clusterSize or clusterSize:partitions, comma-separated"
    )
    parser.add_argument("--time-scale", type=float, default=1.0, help="detection: the simulator's time scale")
    parser.add_argument("--detection-size", default="4:2", help="detection: clusterSize:partitions (default 4:2)")
    parser.add_argument("--overhead-size", default="8:8", help="overhead: clusterSize:partitions (default 8:8)")
    parser.add_argument("--skip", action="append", default=[], help=f"sections to skip: {', '.join(SECTIONS)}")
    parser.add_argument("--json", type=Path, help="also write the JSON (always printed) to this file")
    args = parser.parse_args(argv)
    if args.runs < 1:
        raise BadInput(f"expected --runs of at least 1, got {args.runs}")
    if not math.isfinite(args.time_scale) or args.time_scale <= 0:
        raise BadInput(f"expected a --time-scale above 0 (detection needs time to pass), got {args.time_scale}")
    skip = {s.strip() for item in args.skip for s in item.split(",") if s.strip()}
    unknown = skip - set(SECTIONS)
    if unknown:
        raise BadInput(f"expected --skip among {', '.join(SECTIONS)}, got {', '.join(sorted(unknown))}")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes:
        raise BadInput(f"expected at least one size in --sizes, got {args.sizes!r}")
    bench = Bench(
        args.runs, sizes, args.time_scale, parse_size(args.detection_size), parse_size(args.overhead_size), skip
    )
    bench.figures["json_path"] = str(args.json) if args.json else None
    return bench


# -- machine -------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


# -- helpers -------------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def exponent(small: tuple[int, float], large: tuple[int, float]) -> float | None:
    """How a cost grows between two shapes: 1.0 is linear in brokers x partitions, below is better."""
    (x0, y0), (x1, y1) = small, large
    if x1 == x0 or y0 <= 0 or y1 <= 0:
        return None
    return math.log(y1 / y0) / math.log(x1 / x0)


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else "met" if ok else "missed"


def styled(text: str) -> str:
    colour = {"met": "green", "missed": "bold red", "not measured": "yellow"}.get(text)
    return f"[{colour}]{text}[/]" if colour else text


def drill_command(size: Size, report_dir: Path) -> list[str]:
    script = Path(sys.executable).with_name("c8-drill")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "drill.cli"]
    return [
        *head,
        "run",
        "--time-scale",
        "0",
        "--lost-region",
        "both",
        "--cluster-size",
        str(size.cluster_size),
        "--partitions",
        str(size.partitions),
        "--replication-factor",
        str(REPLICATION_FACTOR),
        "--report-dir",
        str(report_dir),
    ]


# -- scale and cost ------------------------------------------------------------------------------------------


def scale(bench: Bench, work: Path) -> dict[Size, Path]:
    """Returns, per size, the report directory of its first run (the cost section reads its journals)."""
    rows: list[dict[str, Any]] = []
    kept: dict[Size, Path] = {}
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    for size in bench.sizes:
        measured: list[Measured] = []
        for run in range(bench.runs):
            report_dir = work / f"scale-{size.label()}-{run}"
            console.print(f"[dim]scale {size.label()} run {run + 1}/{bench.runs} …[/]")
            result = run_measured(
                drill_command(size, report_dir), cwd=ROOT, env=env, log=work / f"{report_dir.name}.log",
                timeout_s=RUN_TIMEOUT_S,
            )  # fmt: skip
            measured.append(result)
            if result.returncode != 0:
                bench.failures.append(
                    f"c8-drill run {size.label()} run {run + 1} exited {result.returncode}"
                    + (" (timed out)" if result.timed_out else "")
                    + f": see {work / (report_dir.name + '.log')}"
                )
            kept.setdefault(size, report_dir)
        walls = [m.wall_s for m in measured]
        rows.append(
            {
                "cluster_size": size.cluster_size,
                "partitions": size.partitions,
                "brokers_x_partitions": size.product,
                "wall_s": median(walls),
                "wall_min_s": min(walls),
                "wall_max_s": max(walls),
                "peak_rss_mb": median([m.tree_peak_mb for m in measured]),
                "largest_process_mb": median([m.largest_mb for m in measured]),
                "processes": max(m.processes for m in measured),
                "exit_codes": [m.returncode for m in measured],
            }
        )
    for previous, row in zip([None, *rows], rows, strict=False):
        row["wall_ms_per_bxp"] = 1000 * row["wall_s"] / row["brokers_x_partitions"]
        row["growth_exponent"] = (
            None
            if previous is None
            else exponent(
                (previous["brokers_x_partitions"], previous["wall_s"]), (row["brokers_x_partitions"], row["wall_s"])
            )
        )
    bench.figures["scale"] = rows
    return kept


def cost(bench: Bench, work: Path, report_dirs: dict[Size, Path]) -> None:
    rows: list[dict[str, Any]] = []
    for size in bench.sizes:
        report_dir = report_dirs.get(size)
        if report_dir is None:  # scale skipped: one untimed run for the journals
            report_dir = work / f"cost-{size.label()}"
            console.print(f"[dim]cost {size.label()}: running the drill for its journals …[/]")
            env = {**os.environ, "NO_COLOR": "1"}
            result = run_measured(
                drill_command(size, report_dir), cwd=ROOT, env=env, log=work / "cost.log", timeout_s=RUN_TIMEOUT_S
            )
            if result.returncode != 0:
                bench.failures.append(f"c8-drill run {size.label()} (cost) exited {result.returncode}")
        for lost in (0, 1):
            journal = report_dir / f"lost-region-{lost}" / "journal.jsonl"
            if not journal.exists():
                bench.failures.append(f"no journal at {journal}")
                continue
            measured: JournalCost = journal_cost(journal, lost, bench.runs)
            rows.append(
                {
                    "cluster_size": size.cluster_size,
                    "partitions": size.partitions,
                    "brokers_x_partitions": size.product,
                    **measured.to_json(),
                    "bytes_per_bxp": measured.bytes / size.product,
                    "render_ms_per_bxp": 1000 * measured.render_s / size.product,
                }
            )
    for lost in (0, 1):
        mine = [r for r in rows if r["lost_region"] == lost]
        for previous, row in zip([None, *mine], mine, strict=False):
            for figure in ("bytes", "render_s"):
                row[f"{figure}_growth_exponent"] = (
                    None
                    if previous is None
                    else exponent(
                        (previous["brokers_x_partitions"], previous[figure]),
                        (row["brokers_x_partitions"], row[figure]),
                    )
                )
    bench.figures["cost"] = rows


# -- overhead ------------------------------------------------------------------------------------------------


def overhead(bench: Bench, work: Path) -> None:
    size = bench.overhead_size
    settings = size.settings()
    drills: list[float] = []
    replays: list[float] = []
    mismatches: list[str] = []
    differences: list[str] = []
    problems: dict[str, int] = {}
    calls = from_control = 0
    for run in range(bench.runs):
        console.print(f"[dim]overhead {size.label()} run {run + 1}/{bench.runs}: drill …[/]")
        done: list[DrillRun] = [run_drill(settings, lost, work / f"overhead-{run}") for lost in (0, 1)]
        for d in done:
            if d.verdict != "passed":
                bench.failures.append(f"overhead drill (lost region {d.lost_region}) {d.verdict}")
        drills.append(sum(d.seconds for d in done))
        console.print(f"[dim]overhead {size.label()} run {run + 1}/{bench.runs}: bare replay …[/]")
        total = 0.0
        for d in done:
            with SimRuntime(settings) as runtime:
                made = plan(d.journal, d.control_calls, settings)
                result = replay(made, origin_map(d.endpoints, runtime.endpoints()))
                total += result.seconds
                mismatches += result.status_differs
                differences += [
                    f"lost {d.lost_region}: {x}" for x in same_work(d.final_state, control_get(runtime, "/state"))
                ]
                for reason, count in result.problems.items():
                    problems[reason] = problems.get(reason, 0) + count
                calls, from_control = calls + result.calls, from_control + result.from_control
        replays.append(total)
    ratio = median(drills) / median(replays)
    bench.figures["overhead"] = {
        "cluster_size": size.cluster_size,
        "partitions": size.partitions,
        "drill_s": median(drills),
        "drill_runs_s": drills,
        "replay_s": median(replays),
        "replay_runs_s": replays,
        "ratio": ratio,
        "calls_per_replay": calls // bench.runs,
        "control_calls_per_replay": from_control // bench.runs,
        "status_differs": len(mismatches),
        "status_differs_examples": mismatches[:5],
        "same_work": not differences,
        "work_differences": differences[:5],
        "not_replayable": problems,
    }


# -- detection -----------------------------------------------------------------------------------------------


def detection(bench: Bench, work: Path) -> None:
    size, lost = bench.detection_size, 1
    console.print(
        f"[dim]detection: one drill (lost region {lost}, {size.label()}) at time scale {bench.time_scale:g}; "
        "this takes a while …[/]"
    )

    def read_timeline(runtime: SimRuntime, run: DrillRun) -> None:
        run.timeline = control_get(runtime, "/timeline")

    done = run_drill(size.settings(bench.time_scale), lost, work / "detection", reports=False, after=read_timeline)
    if done.verdict != "passed":
        bench.failures.append(f"detection drill {done.verdict}")
    rows: list[Detection] = detections(read_journal(done.journal), done.timeline)
    measured = [r for r in rows if r.latency_s is not None]
    bench.figures["detection"] = {
        "cluster_size": size.cluster_size,
        "partitions": size.partitions,
        "time_scale": bench.time_scale,
        "lost_region": lost,
        "drill_s": done.seconds,
        "drill_verdict": done.verdict,
        "timeline_dropped": done.timeline.get("dropped"),
        "waits": [r.to_json() for r in rows],
        "met": sum(r.verdict == "met" for r in rows),
        "missed": sum(r.verdict == "missed" for r in rows),
        "unmatched": sum(r.verdict == "unmatched" for r in rows),
        "not_reached": sum(r.verdict == "not reached" for r in rows),
        "worst_latency_s": max((r.latency_s or 0.0 for r in measured), default=None),
    }


# -- targets -------------------------------------------------------------------------------------------------


def judge(bench: Bench) -> None:
    f = bench.figures
    scale_rows = {(r["cluster_size"], r["partitions"]): r for r in f.get("scale", [])}
    small, large = scale_rows.get((8, 8)), scale_rows.get((64, 128))
    add = bench.targets.append
    add(
        Target(
            "both drills, clusterSize 8 / 8 partitions: wall",
            f"<= {SMALL_WALL_S:g} s",
            f"{small['wall_s']:.3f} s" if small else "—",
            verdict(small["wall_s"] <= SMALL_WALL_S if small else None),
        )
    )
    add(
        Target(
            "both drills, clusterSize 8 / 8 partitions: peak RSS (process tree)",
            f"<= {SMALL_RSS_MB:g} MB",
            f"{small['peak_rss_mb']:.0f} MB" if small else "—",
            verdict(small["peak_rss_mb"] <= SMALL_RSS_MB if small else None),
        )
    )
    add(
        Target(
            "both drills, clusterSize 64 / 128 partitions: wall",
            f"<= {LARGE_WALL_S:g} s",
            f"{large['wall_s']:.3f} s" if large else "—",
            verdict(large["wall_s"] <= LARGE_WALL_S if large else None),
        )
    )
    over = f.get("overhead")
    add(
        Target(
            "harness overhead: drill / bare replay",
            f"<= {OVERHEAD_RATIO:g}",
            f"{over['ratio']:.2f}" if over else "—",
            verdict(over["ratio"] <= OVERHEAD_RATIO if over else None),
        )
    )
    if over is not None:
        add(
            Target(
                "bare replay did the drill's work",
                "same statuses, same end state",
                f"{over['status_differs']} status(es) differ; end state {'same' if over['same_work'] else 'differs'}",
                verdict(over["status_differs"] == 0 and over["same_work"]),
            )
        )
    det = f.get("detection")
    add(
        Target(
            "detection latency, every wait",
            "<= max(250 ms, 10 % of the wait)",
            (
                f"{det['met']} met, {det['missed']} missed, {det['unmatched']} unmatched, worst "
                f"{1000 * (det['worst_latency_s'] or 0):.0f} ms"
            )
            if det
            else "—",
            verdict(det["missed"] == 0 and det["unmatched"] == 0 and det["not_reached"] == 0 if det else None),
        )
    )
    growth: list[tuple[str, list[float | None]]] = [
        ("wall", [r["growth_exponent"] for r in f.get("scale", [])[1:]]),
        ("journal bytes", [r["bytes_growth_exponent"] for r in f.get("cost", []) if "bytes_growth_exponent" in r]),
        ("report render time", [r["render_s_growth_exponent"] for r in f.get("cost", [])]),
    ]
    for name, exponents in growth:
        known = [e for e in exponents if e is not None]
        add(
            Target(
                f"{name} grows no worse than linearly in brokers x partitions",
                "growth exponent <= 1.0 between each pair of sizes",
                f"max exponent {max(known):.2f}" if known else "—",
                verdict(max(known) <= 1.0 if known else None),
            )
        )


# -- output --------------------------------------------------------------------------------------------------


def number(value: float | None, fmt: str = "{:.2f}") -> str:
    return "—" if value is None else fmt.format(value)


def print_tables(bench: Bench) -> None:
    f = bench.figures
    m = f["machine"]
    console.print(
        f"machine: {m['cpus']} cpus ({m['cpus_usable']} usable), {m['cpu_model']}, load {m['load_average_1_5_15']}; "
        f"{m['implementation']} {m['python']}; {m['platform']}; medians of {bench.runs} run(s)"
    )
    if "scale" in f:
        t = Table(title="scale: c8-drill run, time scale 0, both lost regions, RF 4", title_justify="left")
        for col in ("brokers x partitions", "wall s (min-max)", "peak RSS MB", "largest proc MB", "wall ms/(bxp)"):
            t.add_column(col, justify="right")
        t.add_column("growth exp.", justify="right")
        t.add_column("target", justify="left")
        t.add_column("verdict", justify="left")
        for r in f["scale"]:
            key = (r["cluster_size"], r["partitions"])
            target, ok = "", None
            if key == (8, 8):
                target = f"<= {SMALL_WALL_S:g} s, <= {SMALL_RSS_MB:g} MB"
                ok = r["wall_s"] <= SMALL_WALL_S and r["peak_rss_mb"] <= SMALL_RSS_MB
            elif key == (64, 128):
                target, ok = f"<= {LARGE_WALL_S:g} s", r["wall_s"] <= LARGE_WALL_S
            exp = r["growth_exponent"]
            linear = "" if exp is None else ("<= linear" if exp <= 1.0 else "[bold red]superlinear[/]")
            t.add_row(
                f"{r['cluster_size']} x {r['partitions']}",
                f"{r['wall_s']:.3f} ({r['wall_min_s']:.3f}-{r['wall_max_s']:.3f})",
                f"{r['peak_rss_mb']:.0f}",
                f"{r['largest_process_mb']:.0f}",
                f"{r['wall_ms_per_bxp']:.3f}",
                f"{number(exp)} {linear}".strip(),
                target,
                styled(verdict(ok)) if target else "",
            )
        console.print(t)
    if "cost" in f:
        t = Table(title="cost: journal and reports, per drill (lost region)", title_justify="left")
        for col in ("brokers x partitions", "lost", "records", "http", "waits", "journal KB", "bytes/(bxp)"):
            t.add_column(col, justify="right")
        for col in ("bytes exp.", "render s", "render ms/(bxp)", "render exp."):
            t.add_column(col, justify="right")
        for r in f["cost"]:
            t.add_row(
                f"{r['cluster_size']} x {r['partitions']}",
                str(r["lost_region"]),
                str(r["records"]),
                str(r["http_records"]),
                str(r["wait_records"]),
                f"{r['bytes'] / 1024:.0f}",
                f"{r['bytes_per_bxp']:.0f}",
                number(r["bytes_growth_exponent"]),
                f"{r['render_s']:.3f}",
                f"{r['render_ms_per_bxp']:.3f}",
                number(r["render_s_growth_exponent"]),
            )
        console.print(t)
    if "overhead" in f:
        o = f["overhead"]
        t = Table(
            title=f"overhead: drill in-process vs bare httpx replay, {o['cluster_size']} x {o['partitions']}, both "
            "lost regions",
            title_justify="left",
        )
        for col in ("drill s", "replay s", "ratio", "target", "verdict", "calls", "of which control", "status differs"):
            t.add_column(col, justify="right")
        t.add_column("same end state")
        t.add_row(
            f"{o['drill_s']:.3f}",
            f"{o['replay_s']:.3f}",
            f"{o['ratio']:.2f}",
            f"<= {OVERHEAD_RATIO:g}",
            styled(verdict(o["ratio"] <= OVERHEAD_RATIO)),
            str(o["calls_per_replay"]),
            str(o["control_calls_per_replay"]),
            str(o["status_differs"]),
            "yes" if o["same_work"] else "[bold red]no[/]",
        )
        console.print(t)
        for line in o["status_differs_examples"] + o["work_differences"]:
            console.print(f"  [red]replay differs:[/] {line}", highlight=False)
        for reason, count in o["not_replayable"].items():
            console.print(f"  [yellow]not replayed as sent ({count}):[/] {reason}", highlight=False)
    if "detection" in f:
        d = f["detection"]
        t = Table(
            title=f"detection: lost region {d['lost_region']}, {d['cluster_size']} x {d['partitions']}, time scale "
            f"{d['time_scale']:g} (drill {d['drill_s']:.0f} s, {d['drill_verdict']})",
            title_justify="left",
        )
        t.add_column("step", no_wrap=True)
        t.add_column("wait", max_width=44, overflow="ellipsis", no_wrap=True)
        t.add_column("awaited", max_width=42, overflow="ellipsis", no_wrap=True)
        for col in ("wait s", "done in wait", "latency ms", "bound ms"):
            t.add_column(col, justify="right", no_wrap=True)
        t.add_column("verdict", no_wrap=True)
        for w in d["waits"]:
            t.add_row(
                w["step"],
                w["what"],
                w["awaits"],
                f"{w['wait_s']:.3f}",
                {True: "yes", False: "before", None: "—"}[w["completed_during_wait"]],
                number(None if w["latency_s"] is None else 1000 * w["latency_s"], "{:.1f}"),
                f"{1000 * w['bound_s']:.0f}",
                styled(w["verdict"]),
            )
        console.print(t)
    t = Table(title="targets", title_justify="left")
    t.add_column("figure")
    t.add_column("target")
    t.add_column("measured")
    t.add_column("verdict")
    for judged in bench.targets:
        t.add_row(judged.name, judged.target, judged.measured, styled(judged.verdict))
    console.print(t)
    for failure in bench.failures:
        console.print(f"[bold red]measurement problem:[/] {failure}", highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        bench = parse_args(sys.argv[1:] if argv is None else argv)
    except BadInput as exc:
        print(f"drill_bench: {exc}", file=sys.stderr)
        return 2
    bench.figures["machine"] = machine()
    bench.figures["settings"] = {
        "runs": bench.runs,
        "sizes": [[s.cluster_size, s.partitions] for s in bench.sizes],
        "replication_factor": REPLICATION_FACTOR,
        "detection": {
            "time_scale": bench.time_scale,
            "size": [bench.detection_size.cluster_size, bench.detection_size.partitions],
        },
        "overhead_size": [bench.overhead_size.cluster_size, bench.overhead_size.partitions],
        "skipped": sorted(bench.skip),
    }
    report_dirs: dict[Size, Path] = {}
    work = Path(tempfile.mkdtemp(prefix="drill-bench-"))
    if "scale" not in bench.skip:
        report_dirs = scale(bench, work)
    if "cost" not in bench.skip:
        cost(bench, work, report_dirs)
    if "overhead" not in bench.skip:
        overhead(bench, work)
    if "detection" not in bench.skip:
        detection(bench, work)
    if bench.failures:
        bench.failures.append(f"reports and logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    judge(bench)
    bench.figures["targets"] = [t.to_json() for t in bench.targets]
    bench.figures["measurement_problems"] = bench.failures
    print_tables(bench)
    text = json.dumps(bench.figures, indent=2, default=str)
    print(text)
    json_path = bench.figures.get("json_path")
    if json_path:
        Path(json_path).write_text(text + "\n")
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
