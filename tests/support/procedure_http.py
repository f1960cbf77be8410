"""Plain-httpx access to a simulated region, the way the procedure's curl commands reach it.

Shared by tests that replay the procedure (or a wrong version of it) without any harness code in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

BPMN = Path(__file__).resolve().parents[2] / "drill" / "procedure" / "resources" / "drill-marker.bpmn"
AUTH = ("demo", "demo")
SCHEMA_ENV = "CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA"


def poll(check: Callable[[], Any], what: str, attempts: int = 50, interval: float = 0.02) -> Any:
    """Bounded wait: up to `attempts` tries; the last failure names what was awaited."""
    last: Any = None
    for _ in range(attempts):
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last observation: {last!r}")


class Region:
    def __init__(self, urls: dict[str, str]) -> None:
        self.gateway = httpx.Client(base_url=urls["gateway"], auth=AUTH, timeout=10)
        self.management = httpx.Client(base_url=urls["management"], timeout=10)
        self.es = httpx.Client(base_url=urls["elasticsearch"], timeout=30)

    def close(self) -> None:
        for client in (self.gateway, self.management, self.es):
            client.close()

    def topology(self) -> dict[str, Any]:
        response = self.gateway.get("/v2/topology", headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def instance_keys(self) -> set[str]:
        response = self.gateway.post(
            "/v2/process-instances/search",
            json={"filter": {"processDefinitionId": "drillMarker"}, "page": {"limit": 1000}},
        )
        assert response.status_code == 200, response.text
        return {item["processInstanceKey"] for item in response.json()["items"]}

    def create_instances(self, count: int, tag: str) -> set[str]:
        keys = set()
        for i in range(count):
            response = self.gateway.post(
                "/v2/process-instances",
                json={"processDefinitionId": "drillMarker", "variables": {"marker": f"{tag}-{i}"}},
            )
            assert response.status_code == 200, response.text
            keys.add(response.json()["processInstanceKey"])
        return keys

    def wait_for_change(self, change_id: int) -> dict[str, Any]:
        """The robust rule (contract §3.6): done once lastChange.id >= changeId and no pendingChange."""

        def done() -> dict[str, Any] | None:
            body = self.management.get("/actuator/cluster").json()
            last = body.get("lastChange")
            if "pendingChange" not in body and last and last["id"] >= change_id:
                return last  # type: ignore[no-any-return]
            return None

        return poll(done, f"change {change_id} to complete")  # type: ignore[no-any-return]


def exporting(region: Region, action: str) -> None:
    """Pause/resume: 204 (as the procedure shows) or 200 with the real status in the body (newer patches)."""
    response = region.management.post(f"/actuator/exporting/{action}")
    if response.status_code == 200:
        assert response.json()["status"] == 204, response.text
    else:
        assert response.status_code == 204, response.text
        assert response.content == b""


def lost_brokers(lost: int, cluster_size: int = 8) -> list[int]:
    return [b for b in range(cluster_size) if b % 2 == lost]


def install_recreated(control: httpx.Client, region: int, *, schema_manager: bool = False) -> httpx.Response:
    """Failback 1's helm install: Operate/Tasklist off and, unless asked otherwise, the schema manager off."""
    env = control.get(f"/regions/{region}/helm/default-values").json()["orchestration"]["env"]
    body: dict[str, Any] = {"set": ["orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false"]}
    if not schema_manager:
        body["setString"] = [
            f"orchestration.env[{len(env)}].name={SCHEMA_ENV}",
            f"orchestration.env[{len(env)}].value=false",
        ]
    return control.post(f"/regions/{region}/helm/install", json=body)


REPO = {"type": "s3", "settings": {"bucket": "drill-bucket", "client": "camunda", "base_path": "backups"}}
OFF = ["orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false"]


class Procedure:
    """The documented steps as plain requests, one method each, so tests can skip, swap or alter them."""

    def __init__(self, endpoints: dict[str, Any], lost: int) -> None:
        self.lost, self.survived = lost, 1 - lost
        self.control = httpx.Client(base_url=endpoints["control"], timeout=10)
        self.regions = {r: Region(endpoints[f"region{r}"]) for r in (0, 1)}
        self.s, self.rec = self.regions[self.survived], self.regions[lost]
        self.ids = lost_brokers(lost)

    def close(self) -> None:
        self.control.close()
        for region in self.regions.values():
            region.close()

    def steady_state(self, count: int = 3) -> set[str]:
        deployed = self.s.gateway.post("/v2/deployments", files={"resources": ("drill-marker.bpmn", BPMN.read_bytes())})
        assert deployed.status_code == 200, deployed.text
        keys = self.s.create_instances(count, "before")
        poll(lambda: keys <= self.s.instance_keys() and keys <= self.rec.instance_keys(), "steady state")
        return keys

    def lose(self) -> None:
        assert self.control.post(f"/regions/{self.lost}/lose").status_code == 200

    def failover_1(self) -> None:
        response = self.s.management.patch("/actuator/cluster?force=true", json={"brokers": {"remove": self.ids}})
        assert response.status_code == 202, response.text
        self.s.wait_for_change(response.json()["changeId"])

    def failover_2(self) -> None:
        response = self.s.management.post(f"/actuator/exporters/camundaregion{self.lost}/disable")
        assert response.status_code == 202, response.text
        self.s.wait_for_change(response.json()["changeId"])

    def failback_1(self, *, schema_manager: bool = False) -> None:
        assert self.control.post(f"/regions/{self.lost}/recreate").status_code == 200
        response = install_recreated(self.control, self.lost, schema_manager=schema_manager)
        assert response.status_code == 200, response.text

    def failback_2(self) -> None:
        response = self.control.post(f"/regions/{self.survived}/helm/upgrade", json={"set": OFF})
        assert response.status_code == 200, response.text

    def failback_3(self) -> None:
        exporting(self.s, "pause")

    def snapshot(self) -> None:
        assert self.s.es.put("/_snapshot/camunda_backup", json=REPO).status_code == 200
        response = self.s.es.put("/_snapshot/camunda_backup/failback?wait_for_completion=true")
        assert response.status_code == 200, response.text

    def restore(self) -> httpx.Response:
        assert self.rec.es.put("/_snapshot/camunda_backup", json=REPO).status_code == 200
        return self.rec.es.post("/_snapshot/camunda_backup/failback/_restore?wait_for_completion=true")

    def failback_4(self) -> None:
        self.snapshot()
        response = self.restore()
        assert response.status_code == 200, response.text

    def failback_5(self) -> None:
        for region in (self.survived, self.lost):
            assert self.control.post(f"/regions/{region}/helm/upgrade", json={}).status_code == 200

    def failback_6(self) -> None:
        response = self.s.management.post(
            f"/actuator/exporters/camundaregion{self.lost}/enable",
            json={"initializeFrom": f"camundaregion{self.survived}"},
        )
        assert response.status_code == 202, response.text
        self.s.wait_for_change(response.json()["changeId"])

    def failback_7(self) -> None:
        exporting(self.s, "resume")

    def failback_8(self) -> httpx.Response:
        response = self.s.management.patch(
            "/actuator/cluster", json={"brokers": {"add": self.ids}, "partitions": {"replicationFactor": 4}}
        )
        if response.status_code == 202:
            self.s.wait_for_change(response.json()["changeId"])
        return response
