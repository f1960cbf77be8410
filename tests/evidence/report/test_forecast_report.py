"""The RTO forecast a drill journals at its start, in every report made from the journal: report.json's
`rto.forecast`, report.html's RTO section, JUnit and Allure; and journals from before forecasts still render."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from typing import Any

from support.report_journals import (
    LOST,
    begin,
    failback,
    failover_1,
    failover_2,
    new_journal,
    passing_drill,
)

from drill.evidence.journal import read_journal
from drill.evidence.report.write import write_reports
from drill.forecast import for_journal
from drill.procedure.params import DataVolume, DrillParams, Shape


def forecast_drill(path: Path, params: DrillParams, budgets: dict[str, Any] | None = None) -> Path:
    """A passing drill whose drill_start holds the forecast for `params`, as `session.begin` journals it."""
    with new_journal(path) as journal:
        begin(journal, budgets, forecast=for_journal(params))
        failover_1(journal)
        failover_2(journal)
        failback(journal)
        journal.drill_end(verdict="passed")
    return path


def text_of(html: str, start: str, end: str) -> str:
    """The words a reader sees between two markers of the page."""
    chunk = html[html.index(start) : html.index(end, html.index(start))]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", chunk)).split())


def measures_rows(html: str) -> list[str]:
    table = html[html.index('<table class="measures">') : html.index("</table>", html.index('class="measures"'))]
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in table.split("<tr>")[2:]]


SAMPLE = DrillParams(lost_region=LOST, data=DataVolume(20))  # 8/8/4, 20 GiB: failover 7.6 s, failback 456.1 s


def test_the_forecast_is_in_the_chain_before_the_loss(tmp_path: Path) -> None:
    records = read_journal(forecast_drill(tmp_path / "journal.jsonl", SAMPLE))
    (start,) = [r for r in records if r["kind"] == "drill_start"]
    loss = next(r for r in records if r["kind"] == "loss")
    assert start["seq"] < loss["seq"]
    assert start["forecast"]["failover_s"] == 7.6 and start["forecast"]["failback_s"] == 456.1


def test_report_json_holds_the_forecast_its_stages_and_inputs_against_the_budgets(tmp_path: Path) -> None:
    written = write_reports(forecast_drill(tmp_path / "journal.jsonl", SAMPLE), tmp_path / "out")
    forecast = json.loads((tmp_path / "out" / "report.json").read_text())["rto"]["forecast"]
    assert forecast == written.report["rto"]["forecast"]
    assert (forecast["failover_s"], forecast["failover_budget_s"], forecast["failover_verdict"]) == (
        7.6,
        60.0,
        "within budget",
    )
    # the published failback budget: five minutes plus the backup and restore, here the forecast's own
    assert forecast["backup_restore_s"] == 381.5
    assert (forecast["failback_s"], forecast["failback_budget_s"], forecast["failback_verdict"]) == (
        456.1,
        681.5,
        "within budget",
    )
    stages = {s["id"]: s["seconds"] for s in forecast["stages"]}
    assert stages["failback-4"] == 381.5 and stages["failover-1"] == 6.0
    assert forecast["inputs"]["es_data_gib"] == 20.0
    assert forecast["inputs"]["restore_s_per_gib"] == 11.0 and forecast["inputs"]["snapshot_s_per_gib"] == 8.0
    assert forecast["inputs"]["shape"] == {"clusterSize": 8, "partitions": 8, "replicationFactor": 4}


def test_report_html_shows_the_forecast_between_the_measured_value_and_the_budget(tmp_path: Path) -> None:
    write_reports(forecast_drill(tmp_path / "journal.jsonl", SAMPLE), tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text()
    head = text_of(html, '<table class="measures">', "</thead>")
    assert head == "Measure Measured Forecast Budget Verdict"
    failover, failback_row, rpo = measures_rows(html)
    assert "7.6 s within its budget of 60 s 60 s" in failover
    assert "7 min 36.1 s within its budget of 11 min 21.5 s (5 min plus the forecast 6 min 21.5 s backup and" in (
        failback_row
    )
    assert "not forecast" in rpo
    details = text_of(html, '<div id="forecast">', "</div>")
    assert "clusterSize 8, partitions 8, replicationFactor 4, 20 GiB of Elasticsearch data per region" in details
    assert "failback-4 failback 6 min 21.5 s" in details  # each stage, forecast beside measured
    assert "snapshot 1 s + 20 GiB x 8 s/GiB, restore 0.5 s + 20 GiB x 11 s/GiB" in details
    assert 'id="forecast-over-budget"' not in html


def test_a_forecast_over_budget_is_stated_plainly_and_judges_nothing(tmp_path: Path) -> None:
    big = DrillParams(lost_region=LOST, shape=Shape(64, 128, 4), data=DataVolume(20))  # failover 105.6 s
    written = write_reports(forecast_drill(tmp_path / "journal.jsonl", big), tmp_path / "out")
    report = written.report
    assert report["rto"]["forecast"]["failover_verdict"] == "over budget"
    assert report["verdict"] == "passed" and report["rto"]["verdict"] == "pass"  # the measured drill's
    html = (tmp_path / "out" / "report.html").read_text()
    statement = text_of(html, 'id="forecast-over-budget"', "</p>")
    assert "the failover forecast of 1 min 45.6 s exceeds its budget of 60 s" in statement
    assert "over budget of 60 s" in measures_rows(html)[0]
    assert "exceeds its budget of 60 s" in text_of(html, 'id="summary"', "</p>")
    suite = ET.fromstring((tmp_path / "out" / "junit.xml").read_bytes()).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["rto.forecast.failover_s"] == "105.6"
    assert properties["rto.forecast.failover_verdict"] == "over budget"
    (failover,) = [c for c in suite.iter("testcase") if c.get("name") == "RTO failover"]
    assert (failover.findtext("system-out") or "").endswith("; forecast 105.6 s, over its budget of 60.0 s")


def test_allure_budget_results_carry_the_forecast(tmp_path: Path) -> None:
    write_reports(
        forecast_drill(tmp_path / "journal.jsonl", SAMPLE), tmp_path / "out", allure_results=tmp_path / "allure"
    )
    results = [json.loads(p.read_text()) for p in (tmp_path / "allure").glob("*-result.json")]
    (failback_result,) = [r for r in results if r["name"] == "RTO failback"]
    assert failback_result["status"] == "passed"
    assert failback_result["statusDetails"]["message"].endswith("; forecast 456.1 s")


def test_a_journal_from_before_forecasts_still_renders_without_one(tmp_path: Path) -> None:
    written = write_reports(passing_drill(tmp_path / "journal.jsonl"), tmp_path / "out")
    assert written.report["rto"]["forecast"] is None
    html = (tmp_path / "out" / "report.html").read_text()
    assert text_of(html, '<table class="measures">', "</thead>") == "Measure Measured Budget Verdict"
    assert 'id="forecast"' not in html
    suite = ET.fromstring((tmp_path / "out" / "junit.xml").read_bytes()).find("testsuite")
    assert suite is not None
    assert not [p for p in suite.iter("property") if (p.get("name") or "").startswith("rto.forecast")]


def test_a_journaled_forecast_error_renders_as_no_forecast(tmp_path: Path) -> None:
    unplannable = DrillParams(lost_region=LOST, shape=Shape(8, 0, 4))
    written = write_reports(forecast_drill(tmp_path / "journal.jsonl", unplannable), tmp_path / "out")
    assert written.report["rto"]["forecast"] is None
    assert 'id="forecast"' not in (tmp_path / "out" / "report.html").read_text()
