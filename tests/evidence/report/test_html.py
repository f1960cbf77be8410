"""report.html as an auditor meets it (drill.evidence.report.html).

Reports are made the real way, from journals written with the Journal API and read back with
`report_from_journal`, so these tests also catch a renderer that drifts from the report's schema. The page is
parsed into a small tree so assertions name elements, not substrings that could sit anywhere.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from drill.evidence import Journal, verify_chain
from drill.evidence.report.html import render_html
from drill.evidence.report.model import report_from_journal

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"
STAGES: list[dict[str, Any]] = [
    {"id": "steady-1", "title": "Verify the steady state", "phase": "steady", "destructive": False},
    {"id": "loss-1", "title": "Lose region 1", "phase": "loss", "destructive": True},
    {"id": "failover-1", "title": "Remove lost brokers", "phase": "failover", "destructive": True},
    {"id": "failover-2", "title": "Disable the exporter to the lost region", "phase": "failover", "destructive": True},
    {"id": "failback-1", "title": "Deploy Camunda 8 in the recreated region", "phase": "failback", "destructive": True},
    {"id": "failback-4", "title": "Create and restore Elasticsearch backup", "phase": "failback", "destructive": True},
    {"id": "failback-8", "title": "Add new brokers to the Zeebe cluster", "phase": "failback", "destructive": True},
]
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


# -- writing journals ---------------------------------------------------------------------------------------------


class Clock:
    """A wall clock the test moves by hand, so RTO figures are exact."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Drill:
    journal: Journal
    clock: Clock
    path: Path

    def begin(self, **overrides: Any) -> None:
        fields: dict[str, Any] = {
            "target": "sim",
            "lost_region": 1,
            "contexts": {"0": "kind-region-0", "1": "kind-region-1"},
            "versions": {"gateway": "8.6.3", "brokers": ["8.6.3"]},
            "chart_version": {"0": "11.2.0", "1": "11.2.0"},
            "operator": "alice",
            "host": "drill-runner-7",
            "procedure": [s["id"] for s in STAGES],
            "variant": "operate-tasklist",
            "shape": {"clusterSize": 8, "partitions": 8, "replicationFactor": 4},
            "stages": STAGES,
            "budgets": {"failover_s": 60, "failback_s": 300, "rpo_markers": 0},
        }
        self.journal.drill_start(**(fields | overrides))

    def step(self, step_id: str, seconds: float, status: str = "passed", error: str | None = None) -> None:
        """A step whose checks hold and that leaves one piece of each usual kind of evidence."""
        title = next(s["title"] for s in STAGES if s["id"] == step_id)
        self.journal.step_start(step_id, title)
        self.journal.current_step = step_id
        self.check(step_id, "current", "brokers reachable", 8, 8)
        self.journal.http(
            {"method": "GET", "url": "http://localhost:8080/v2/topology", "status": 200, "duration_ms": 12.4}
        )
        self.journal.command(
            argv=["kubectl", "--context", "kind-region-0", "get", "pods"],
            exit_code=0,
            stdout="",
            stderr="",
            duration_s=0.8,
        )
        self.journal.wait(what="topology healthy", attempts=3, elapsed_s=2.5, outcome="ok")
        self.journal.append("action", name=f"do {step_id}", status="passed", duration_s=1.5)
        self.clock.advance(seconds)
        self.check(step_id, "desired", "partitions healthy", {"healthy": 8}, {"healthy": 8})
        self.journal.current_step = None
        self.journal.step_end(step_id, status, duration_s=seconds, error=error)

    def check(self, step_id: str, phase: str, name: str, expected: Any, actual: Any, detail: str | None = None) -> None:
        verdict = "pass" if expected == actual else "fail"
        self.journal.check(
            step_id=step_id, phase=phase, name=name, expected=expected, actual=actual, verdict=verdict, detail=detail
        )

    def marker(self, tag: str, stage: str) -> None:
        self.journal.append("marker", event="written", tag=tag, key=f"key-{tag}", stage=stage, region=0)

    def seen(self, tag: str, region: int, lookup: str, found: bool = True) -> None:
        self.journal.append("marker", event="seen", tag=tag, region=region, found=found, lookup=lookup)

    def report(self) -> dict[str, Any]:
        self.journal.close()
        return report_from_journal(self.path)


@pytest.fixture
def drill(tmp_path: Path) -> Iterator[Drill]:
    clock = Clock()
    path = tmp_path / "journal.jsonl"
    journal = Journal.create(path, durable=False, wall=clock)
    yield Drill(journal, clock, path)
    journal.close()


def passing_drill(drill: Drill, *, lose_marker: bool = False, failover_s: float = 3.2) -> dict[str, Any]:
    drill.begin()
    drill.step("steady-1", 1.0)
    drill.marker("m-steady", "steady-1")
    drill.journal.step_start("loss-1", "Lose region 1")
    drill.journal.current_step = "loss-1"
    drill.journal.append("loss", event="lose", region=1, surviving_region=0)
    drill.marker("m-failover", "loss-1")
    drill.clock.advance(failover_s)
    drill.seen("m-failover", 0, "failover")
    drill.journal.current_step = None
    drill.journal.step_end("loss-1", "passed", duration_s=failover_s)
    drill.step("failover-1", 4.0)
    drill.step("failover-2", 6.0)
    drill.step("failback-1", 50.0)
    drill.step("failback-4", 42.5)
    drill.step("failback-8", 57.5)
    for tag in ("m-steady", "m-failover"):
        for region in (0, 1):
            drill.seen(tag, region, "final", found=not (lose_marker and tag == "m-failover" and region == 1))
    drill.journal.drill_end(verdict="failed" if lose_marker or failover_s > 60 else "passed")
    return drill.report()


def failed_drill(drill: Drill) -> dict[str, Any]:
    """failover-1 refuses (its current state does not hold); everything after it is blocked."""
    drill.begin(operator=f'"><img src=x onerror=alert(1)> {HOSTILE}')
    drill.step("steady-1", 1.0)
    drill.step("loss-1", 2.0)
    drill.journal.step_start("failover-1", "Remove lost brokers")
    drill.check(
        "failover-1",
        "current",
        "lost brokers absent from the topology",
        {"brokers": [0, 2, 4, 6]},
        {"brokers": [0, 1, 2, 3, 4, 5, 6, 7]},
        detail=f"gateway said {HOSTILE}",
    )
    drill.journal.step_end("failover-1", "refused", duration_s=0.4, error="current state does not hold")
    for stage in STAGES[3:]:
        drill.journal.append("blocked", step_id=stage["id"], reason="failover-1 refused: lost brokers still listed")
    drill.journal.drill_end(verdict="failed", error="failover-1 refused")
    return drill.report()


def incomplete_drill(drill: Drill) -> dict[str, Any]:
    drill.begin()
    drill.step("steady-1", 1.0)
    drill.journal.step_start("loss-1", "Lose region 1")
    return drill.report()


# -- reading the page ---------------------------------------------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """The text a reader sees; line breaks and table cells separate words as they do on screen."""
        return "".join(c if isinstance(c, str) else c.shown() for c in self.children)

    def shown(self) -> str:
        if self.tag == "br":
            return "\n"
        return f" {self.text()} " if self.tag in ("td", "th") else self.text()

    def words(self) -> str:
        return " ".join(self.text().split())

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n is not self
            and (tag is None or n.tag == tag)
            and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class TreeBuilder(HTMLParser):
    """Builds a tree and fails on any end tag that does not close the element last opened."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.declarations: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        open_tag = self.stack[-1].tag
        assert tag == open_tag, f"</{tag}> closes <{open_tag}> at line {self.getpos()[0]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert [n.tag for n in builder.stack] == ["#document"], "elements left open at the end of the page"
    assert builder.declarations == ["DOCTYPE html"]
    return builder.root


def step_section(doc: Node, step_id: str) -> Node:
    return doc.find("section", data_step=step_id)


def table_rows(table: Node) -> list[list[str]]:
    return [[cell.words() for cell in row.find_all("td")] for row in table.find_all("tr") if row.find_all("td")]


# -- a passing drill ----------------------------------------------------------------------------------------------


def test_passing_drill_has_a_green_passed_banner_and_names_target_and_lost_region(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill)))
    banner = doc.find(id="verdict")
    assert banner.attrs["data-verdict"] == "passed"
    assert "PASSED" in banner.words()
    assert "v-pass" in banner.classes()
    title = "Camunda 8 dual-region DR drill \u2014 sim, region 1 lost"
    assert doc.find("title").text() == title
    assert doc.find("h1").text() == title


def test_passing_drill_summary_is_one_plain_sentence(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill)))
    assert doc.find("p", id="summary").words() == (
        "Region 1 was lost and recovered; all 7 steps passed, failover took 3.2 s (budget 60 s), "
        "failback took 2 min 30 s (budget 5 min 42.5 s), "
        "no data was lost (all 2 markers found in both regions)."
    )


def test_facts_table_lists_who_ran_what_where(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill)))
    facts = {row.find("th").words(): row.find("td").words() for row in doc.find("section", id="facts").find_all("tr")}
    assert facts == {
        "Target": "sim",
        "Region lost": "1",
        "Surviving region": "0",
        "Procedure variant": "operate-tasklist",
        "Started": "2026-03-01 12:00:00.000 UTC",
        "Finished": "2026-03-01 12:02:44.200 UTC",
        "Duration": "2 min 44.2 s",
        "Operator": "alice",
        "Host": "drill-runner-7",
        "Kubernetes contexts": "region 0: kind-region-0 region 1: kind-region-1",
        "Camunda versions": 'brokers: ["8.6.3"] gateway: 8.6.3',
        "Helm chart version": "region 0: 11.2.0 region 1: 11.2.0",
        "Cluster shape": "clusterSize: 8 partitions: 8 replicationFactor: 4",
    }
    # region-keyed facts are one line per region
    contexts = next(
        r for r in doc.find("section", id="facts").find_all("tr") if r.find("th").words() == "Kubernetes contexts"
    )
    assert len(contexts.find_all("br")) == 1


def test_rto_and_rpo_are_shown_against_their_budgets(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill)))
    rows = table_rows(doc.find("table", class_="measures"))
    assert rows == [
        ["3.2 s", "60 s", "\u2714 PASS"],
        [
            "2 min 30 s",
            "5 min 42.5 s: 5 min plus the 42.5 s the Elasticsearch backup and restore took",
            "\u2714 PASS",
        ],
        ["0 of 2 markers lost", "0 markers lost", "\u2714 PASS"],
    ]
    heads = [th.words() for th in doc.find("table", class_="measures").find_all("th", scope="row")]
    assert heads[0].startswith("Failover (RTO) from the loss of region 1 to the first new data seen in region 0")


def test_steps_appear_in_order_with_their_checks_and_destructive_badge(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill)))
    sections = doc.find("section", id="steps").find_all("section")
    assert [s.attrs["data-step"] for s in sections] == [s["id"] for s in STAGES]
    steady, failover = sections[0], sections[2]
    assert "DESTRUCTIVE" not in steady.find("h3").words()
    assert "DESTRUCTIVE" in failover.find("h3").words()
    assert failover.find("h3").words() == "3. failover-1 Remove lost brokers DESTRUCTIVE \u2714 PASSED"
    assert "phase failover" in failover.find("p", class_="meta").words()
    assert "duration 4 s" in failover.find("p", class_="meta").words()
    headings = [h.words() for h in failover.find_all("h4")]
    assert headings == ["Current state (before)", "Desired state (after)"]
    assert table_rows(failover.find("table", data_phase="current")) == [
        ["brokers reachable", "8", "8", "\u2714 PASS", ""]
    ]
    assert table_rows(failover.find("table", data_phase="desired")) == [
        ["partitions healthy", '{"healthy":8}', '{"healthy":8}', "\u2714 PASS", ""]
    ]


def test_overview_links_every_step_to_its_section(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill)))
    ids = {n.attrs["id"] for n in doc.iter() if n.attrs.get("id")}
    links = [a.attrs["href"] for a in doc.find("section", id="overview").find_all("a")]
    assert len(links) == len(STAGES)
    assert all(href is not None and href.startswith("#") and href[1:] in ids for href in links)
    all_ids = [n.attrs["id"] for n in doc.iter() if n.attrs.get("id")]
    assert len(all_ids) == len(set(all_ids)), "element ids must be unique"


def test_evidence_is_listed_in_a_details_element_in_plain_words(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill)))
    details = step_section(doc, "failover-1").find("details")
    assert details.find("summary").words() == "Evidence (4 journal records)"
    lines = [row[3] for row in table_rows(details.find("table"))]
    assert lines == [
        "GET http://localhost:8080/v2/topology \u2192 200 in 12.4 ms",
        "$ kubectl --context kind-region-0 get pods \u2192 exit 0 in 0.8 s",
        "waited for topology healthy: ok after 3 attempts, 2.5 s",
        "do failover-1: passed in 1.5 s",
    ]
    loss = [row[2:] for row in table_rows(step_section(doc, "loss-1").find("details").find("table"))]
    assert loss == [
        ["region loss", "region 1: lose; surviving_region: 0"],
        ["data marker", "marker m-failover written in region 0 (key key-m-failover, stage loss-1)"],
        ["data marker", "marker m-failover found in region 0 (failover lookup)"],
    ]


def test_timeline_lists_events_with_offsets_and_verdicts(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill)))
    rows = table_rows(doc.find("table", class_="timeline"))
    assert rows[0] == ["+0 s", "2026-03-01 12:00:00.000 UTC", "drill started on target sim, losing region 1", ""]
    assert ["+1 s", "2026-03-01 12:00:01.000 UTC", "steady-1 passed", "\u2714 PASSED"] in rows
    assert ["+1 s", "2026-03-01 12:00:01.000 UTC", "region 1: lose", ""] in rows
    assert rows[-1] == ["+2 min 44.2 s", "2026-03-01 12:02:44.200 UTC", "drill ended: passed", "\u2714 PASSED"]


def test_footer_cites_the_journal_and_its_full_head_hash(drill: Drill) -> None:
    report = passing_drill(drill)
    doc = parse(render_html(report))
    chain = verify_chain(drill.path)
    footer = doc.find("footer")
    assert doc.find("code", id="head-sha256").text() == chain.last_hash
    assert re.fullmatch(r"[0-9a-f]{64}", chain.last_hash)
    text = footer.words()
    assert str(drill.path) in text
    assert f"Journal records {chain.records}" in text
    assert "c8-dr-drill/report/1" in text
    assert f"Made from the journal by c8-dr-drill; verify with c8-drill verify {drill.path}" in text


def test_a_lost_marker_fails_rpo_and_is_named(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill, lose_marker=True)))
    assert doc.find(id="verdict").attrs["data-verdict"] == "failed"
    rpo = table_rows(doc.find("table", class_="measures"))[2]
    assert rpo == ["1 of 2 markers lost Lost: m-failover", "0 markers lost", "\u2718 FAIL"]
    assert "1 of 2 data markers were lost (budget 0)" in doc.find("p", id="summary").words()


def test_a_slow_failover_fails_rto_and_says_so(drill: Drill) -> None:
    doc = parse(render_html(passing_drill(drill, failover_s=75.0)))
    assert doc.find(id="verdict").attrs["data-verdict"] == "failed"
    assert table_rows(doc.find("table", class_="measures"))[0] == ["75 s", "60 s", "\u2718 FAIL"]
    summary = doc.find("p", id="summary").words()
    assert summary.startswith("The drill losing region 1 failed; all 7 steps passed, ")
    assert "failover took 75 s, over its budget of 60 s" in summary


# -- a failed drill -----------------------------------------------------------------------------------------------


def test_failed_drill_has_a_red_failed_banner(drill: Drill) -> None:
    doc = parse(render_html(failed_drill(drill)))
    banner = doc.find(id="verdict")
    assert banner.attrs["data-verdict"] == "failed"
    assert "FAILED" in banner.words()
    assert "v-fail" in banner.classes()


def test_refused_step_shows_the_failing_check_expected_and_actual(drill: Drill) -> None:
    doc = parse(render_html(failed_drill(drill)))
    section = step_section(doc, "failover-1")
    assert section.attrs["data-verdict"] == "refused"
    assert "v-fail" in section.classes()
    assert section.find("p", class_="reason v-fail").words() == "Refused because: current state does not hold"
    rows = table_rows(section.find("table", data_phase="current"))
    assert rows == [
        [
            "lost brokers absent from the topology",
            '{"brokers":[0,2,4,6]}',
            '{"brokers":[0,1,2,3,4,5,6,7]}',
            "\u2718 FAIL",
            f"gateway said {HOSTILE}",
        ]
    ]
    assert section.find_all("table", data_phase="desired") == []
    assert "No checks recorded." in section.words()


def test_blocked_steps_show_why_they_never_ran(drill: Drill) -> None:
    doc = parse(render_html(failed_drill(drill)))
    for stage in STAGES[3:]:
        section = step_section(doc, stage["id"])
        assert section.attrs["data-verdict"] == "blocked"
        assert "v-other" in section.classes()
        assert section.find("p", class_="reason v-other").words() == (
            "Blocked because: failover-1 refused: lost brokers still listed"
        )
        assert section.find("p", class_="none").words() == "Not executed: no checks and no evidence recorded."
        assert section.find_all("table") == []
        assert section.find_all("details") == []


def test_failed_drill_summary_names_the_refusal_and_unmeasured_figures(drill: Drill) -> None:
    doc = parse(render_html(failed_drill(drill)))
    assert doc.find("p", id="summary").words() == (
        "The drill losing region 1 failed; 2 of 7 steps passed, failover-1 refused, 4 blocked, "
        "failover time was not measured, failback time was not measured, "
        "data loss was not measured (0 markers written). The drill ended with the error: failover-1 refused"
    )
    rows = table_rows(doc.find("table", class_="measures"))
    assert [row[0] for row in rows] == ["not measured", "not measured", "not measured"]
    assert [row[2] for row in rows] == ["\u26a0 NOT MEASURED"] * 3


# -- an incomplete drill ------------------------------------------------------------------------------------------


def test_incomplete_drill_is_amber_and_says_it_did_not_finish(drill: Drill) -> None:
    doc = parse(render_html(incomplete_drill(drill)))
    banner = doc.find(id="verdict")
    assert banner.attrs["data-verdict"] == "incomplete"
    assert "INCOMPLETE" in banner.words()
    assert "v-other" in banner.classes()
    assert (
        doc.find("p", id="summary")
        .words()
        .startswith(
            "The drill losing region 1 did not finish (its journal has no end record); 1 of 7 steps passed, "
            "loss-1 running, 5 not run,"
        )
    )
    facts = {row.find("th").words(): row.find("td").words() for row in doc.find("section", id="facts").find_all("tr")}
    assert facts["Finished"] == "not finished"
    assert facts["Duration"] == "not recorded"
    assert step_section(doc, "loss-1").attrs["data-verdict"] == "running"
    assert step_section(doc, "failback-8").find("h3").words().endswith("\u26a0 NOT RUN")


# -- safety and self-containment ----------------------------------------------------------------------------------


def test_hostile_strings_are_text_never_markup(drill: Drill) -> None:
    page = render_html(failed_drill(drill))
    doc = parse(page)
    assert doc.find_all("script") == []
    assert doc.find_all("img") == []
    assert all(not name.startswith("on") for n in doc.iter() for name in n.attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE in step_section(doc, "failover-1").text()
    operator = next(r for r in doc.find("section", id="facts").find_all("tr") if r.find("th").words() == "Operator")
    assert operator.find("td").text() == f'"><img src=x onerror=alert(1)> {HOSTILE}'


def test_hostile_values_in_every_field_stay_text() -> None:
    """Fields the journal tests above do not reach (ids, titles, verdicts, evidence) are escaped too."""
    h = '<b x="1">&amp;</b>'
    step = {
        "id": h,
        "title": h,
        "phase": h,
        "destructive": True,
        "verdict": h,
        "started_at": h,
        "finished_at": None,
        "duration_s": None,
        "error": h,
        "checks": [{"name": h, "phase": h, "expected": [h], "actual": {h: h}, "verdict": h, "detail": h}],
        "evidence": [
            {"seq": 1, "ts": h, "kind": "http", "method": h, "url": h, "status": h, "duration_ms": None, "error": h},
            {"seq": 2, "ts": h, "kind": "command", "argv": [h], "exit_code": h, "duration_s": None},
            {"seq": 3, "ts": h, "kind": h, "other": h},
        ],
    }
    report = {
        "schema": h,
        "target": h,
        "lost_region": h,
        "surviving_region": h,
        "variant": h,
        "verdict": h,
        "error": h,
        "started_at": h,
        "operator": h,
        "contexts": {h: h},
        "versions": h,
        "budgets": {"failback_s": h},
        "steps": [step],
        "rto": {"failover_s": None, "backup_restore_s": 1.0, "failback_budget_s": h, "failover_verdict": h},
        "rpo": {"markers_lost": 1, "markers_written": h, "lost_tags": [h], "verdict": h},
        "timeline": [{"at": h, "offset_s": None, "event": h, "verdict": h}],
        "journal": {"path": h, "records": h, "head_sha256": h},
    }
    page = render_html(report)
    doc = parse(page)
    assert doc.find_all("b") == []
    assert "<b " not in page
    assert h in doc.text()


def test_control_characters_and_lone_surrogates_are_shown_as_escapes(drill: Drill) -> None:
    """A NUL or an ANSI colour code is invalid in HTML, and a lone surrogate cannot be written as UTF-8 at all."""
    drill.begin()
    drill.journal.step_start("steady-1", "Verify the steady state")
    drill.check("steady-1", "current", "brokers", "4", "3 of 4\x00\x07\x1b[31m", detail="bad \udc80 byte")
    drill.journal.step_end("steady-1", "refused", duration_s=0.1)
    drill.journal.drill_end(verdict="failed")
    page = render_html(drill.report())
    page.encode("utf-8")  # raises on a lone surrogate
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page)
    row = table_rows(step_section(parse(page), "steady-1").find("table", data_phase="current"))[0]
    assert row[2] == "3 of 4\\x00\\x07\\x1b[31m"
    assert row[4] == "bad \\udc80 byte"


def test_the_page_loads_nothing_from_anywhere(drill: Drill) -> None:
    page = render_html(passing_drill(drill))
    doc = parse(page)
    assert "http://localhost:8080/v2/topology" in doc.text(), "URLs in evidence are shown as text"
    for tag in ("script", "link", "img", "iframe", "object", "embed", "base", "source", "video", "audio", "form"):
        assert doc.find_all(tag) == [], f"<{tag}> found"
    for node in doc.iter():
        for name, value in node.attrs.items():
            if name in ("src", "href", "action", "srcset", "poster", "data", "formaction", "background"):
                assert value is not None and value.startswith("#"), f"<{node.tag} {name}={value!r}> leaves the page"
            assert not re.search(r"(?i)(https?:|//|url\()", value or "") or name.startswith("data-"), (
                f"<{node.tag} {name}={value!r}>"
            )
    css = doc.find("style").text()
    assert "url(" not in css
    assert "@import" not in css
    assert "@font-face" not in css
    assert not re.search(r"(?i)(src|href)\s*=\s*[\"']?(https?:)?//", page)


def test_print_styles_open_the_evidence_and_keep_colour(drill: Drill) -> None:
    css = parse(render_html(passing_drill(drill))).find("style").text()
    blocks = re.findall(r"@media print\s*\{((?:[^{}]*\{[^{}]*\})*)\s*\}", css)
    assert blocks, "no @media print rule"
    printed = " ".join(blocks)
    assert re.search(r"details::details-content\s*\{[^}]*content-visibility:\s*visible", printed)
    assert "print-color-adjust: exact" in printed


def test_a_long_drill_renders_quickly_and_keeps_every_row(tmp_path: Path) -> None:
    """About the size of a real drill: 16 steps, 320 evidence records."""
    clock = Clock()
    path = tmp_path / "long.jsonl"
    stages: list[dict[str, Any]] = [
        {"id": f"failback-{n}", "title": f"Step {n}", "phase": "failback", "destructive": n % 2 == 0}
        for n in range(1, 17)
    ]
    with Journal.create(path, durable=False, wall=clock) as journal:
        journal.drill_start(
            target="big",
            lost_region=0,
            contexts={},
            versions={},
            chart_version={},
            operator="bob",
            host="h",
            procedure=[s["id"] for s in stages],
            variant="v",
            stages=stages,
        )
        for stage in stages:
            journal.step_start(stage["id"], stage["title"])
            journal.current_step = stage["id"]
            for n in range(20):
                journal.http({"method": "GET", "url": f"http://es:9200/_cat/{n}", "status": 200, "duration_ms": n})
            journal.current_step = None
            clock.advance(1)
            journal.step_end(stage["id"], "passed", duration_s=1.0)
        journal.drill_end(verdict="passed")
    report = report_from_journal(path)
    started = time.perf_counter()
    page = render_html(report)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    doc = parse(page)
    assert len(doc.find("section", id="steps").find_all("section")) == 16
    assert sum(len(table_rows(d.find("table"))) for d in doc.find_all("details")) == 320
    assert len(doc.find("section", id="overview").find_all("tr")) == 17


def test_a_retry_reads_as_a_sentence_and_an_adopted_write_says_it_was_not_sent_again() -> None:
    from drill.evidence.report.html import evidence_line

    call = "PATCH http://m:9600/actuator/cluster"
    retried = {"kind": "retry", "call": call, "attempt": 1, "error": "HTTP 503", "delay_s": 0.2, "adopted": False}
    assert evidence_line(retried) == f"{call}: attempt 1 failed (HTTP 503); retried after 0.2 s"
    adopted = {"kind": "retry", "call": call, "attempt": 1, "error": "HTTP 503", "delay_s": 0, "adopted": True}
    assert "adopted, not sent again" in evidence_line(adopted)
