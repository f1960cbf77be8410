"""`GET /timeline` on the control API: what completed when, in the same terms and time as the APIs report it."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from drill.sim.runtime import SimRuntime


def test_timeline_lists_completions_with_the_instants_the_apis_report(
    runtime: SimRuntime, control: httpx.Client, management: httpx.Client, fail_over: Callable[[], int]
) -> None:
    change_id = fail_over()
    response = control.get("/timeline")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"completions", "dropped", "limit"}
    assert body["dropped"] == 0
    completions = body["completions"]
    assert [e["seq"] for e in completions] == sorted(e["seq"] for e in completions)
    assert {"seq", "kind", "at"} <= set(completions[0])
    lost = [e for e in completions if e["kind"] == "lost"]
    assert [e["region"] for e in lost] == [1]
    changes = {e["id"]: e for e in completions if e["kind"] == "change"}
    assert set(changes) == {change_id, change_id + 1}
    last = management.get("/actuator/cluster").json()["lastChange"]
    assert last["id"] == change_id + 1
    assert changes[change_id + 1]["at"] == last["completedAt"]
    assert changes[change_id + 1]["status"] == last["status"] == "COMPLETED"
    assert changes[change_id]["at"] <= changes[change_id + 1]["at"]


def test_timeline_is_read_only(control: httpx.Client) -> None:
    assert control.post("/timeline").status_code == 405
