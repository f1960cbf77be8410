"""ElasticsearchClient against the simulated Elasticsearch of both regions over real HTTP."""

from __future__ import annotations

import pytest

from drill.api import ElasticsearchClient, HttpStatusError, repository_body, wait_until

REPO = "camunda_backup"
S3 = repository_body("s3", {"bucket": "dr-bucket", "client": "camunda", "base_path": "backups"})


def test_a_repository_can_be_registered_read_and_deleted(es0: ElasticsearchClient) -> None:
    es0.put_repository(REPO, S3)

    repository = es0.get_repository(REPO)
    es0.delete_repository(REPO)

    assert (repository.name, repository.type) == (REPO, "s3")
    assert repository.settings == {"bucket": "dr-bucket", "client": "camunda", "base_path": "backups"}
    with pytest.raises(HttpStatusError) as caught:
        es0.get_repository(REPO)
    assert caught.value.status == 404
    assert str(caught.value) == (
        f"GET {es0.base_url}/_snapshot/{REPO}: expected HTTP 200, "
        f"got HTTP 404 repository_missing_exception: [{REPO}] missing"
    )


def test_a_snapshot_waited_for_is_listed_and_its_status_is_complete(es0: ElasticsearchClient) -> None:
    es0.put_repository(REPO, S3)

    info = es0.create_snapshot(REPO, "failback", timeout=5.0)
    listed = es0.snapshots(REPO)
    status = es0.snapshot_status(REPO, "failback")

    assert info is not None
    assert (info.snapshot, info.state, info.shards_failed) == ("failback", "SUCCESS", 0)
    assert info.shards_total == info.shards_successful == len(info.indices) > 0
    assert info.raw["include_global_state"] is True
    assert [s.snapshot for s in listed] == ["failback"]
    assert (status.snapshot, status.state, status.failed) == ("failback", "SUCCESS", 0)
    assert status.done == status.total == info.shards_total


def test_a_snapshot_not_waited_for_is_only_accepted(es0: ElasticsearchClient) -> None:
    es0.put_repository(REPO, S3)

    accepted = es0.create_snapshot(REPO, "later", wait=False)
    done = wait_until(
        lambda: s if (s := es0.snapshot_status(REPO, "later")).state == "SUCCESS" else None,
        what="snapshot later",
        timeout=3.0,
    )

    assert accepted is None
    assert done.value.done == done.value.total


def test_a_duplicate_snapshot_name_is_refused_with_type_and_reason(es0: ElasticsearchClient) -> None:
    es0.put_repository(REPO, S3)
    es0.create_snapshot(REPO, "failback")

    with pytest.raises(HttpStatusError) as caught:
        es0.create_snapshot(REPO, "failback")

    assert caught.value.status == 400
    assert "invalid_snapshot_name_exception: [camunda_backup:failback] Invalid snapshot name [failback]" in str(
        caught.value
    )


def test_restoring_over_open_indices_is_refused_with_the_restore_exception(es0: ElasticsearchClient) -> None:
    es0.put_repository(REPO, S3)
    es0.create_snapshot(REPO, "failback")

    with pytest.raises(HttpStatusError) as caught:
        es0.restore(REPO, "failback")

    message = str(caught.value)
    assert caught.value.status == 500
    assert not caught.value.transient
    assert message.startswith(
        f"POST {es0.base_url}/_snapshot/{REPO}/failback/_restore?wait_for_completion=true: expected HTTP 200, "
        "got HTTP 500 snapshot_restore_exception: [camunda_backup:failback/"
    )
    assert "because an open index with same name already exists in the cluster" in message


@pytest.mark.parametrize("wait", [True, False])
def test_the_snapshot_restores_into_the_other_region_once_its_indices_are_gone(
    es0: ElasticsearchClient, es1: ElasticsearchClient, gateway, marker_bpmn: bytes, wait: bool
) -> None:
    gateway.deploy("drill-marker.bpmn", marker_bpmn)
    es0.put_repository(REPO, S3)
    snapshot = es0.create_snapshot(REPO, "failback")
    assert snapshot is not None
    for index in snapshot.indices:
        es1.http.delete(f"/{index}")
    es1.put_repository(REPO, S3)  # registered after the snapshot exists, as the procedure says

    restored = es1.restore(REPO, "failback", wait=wait, timeout=5.0)

    if wait:
        assert restored is not None
        assert restored.snapshot == "failback"
        assert sorted(restored.indices) == sorted(snapshot.indices)
        assert (restored.shards_failed, restored.shards_successful) == (0, restored.shards_total)
    else:
        assert restored is None
        wait_until(lambda: es1.health().status == "green" or None, what="restored region green", timeout=3.0)
    assert es1.count() == es0.count() > 0
    assert es1.count("operate-process-*") == 1


def test_health_indices_and_count(es0: ElasticsearchClient) -> None:
    health = es0.health()
    indices = es0.indices()

    assert (health.status, health.timed_out) == ("green", False)
    assert health.raw["cluster_name"] == "camunda-elasticsearch"
    assert {i.status for i in indices} == {"open"}
    assert {i.health for i in indices} == {"green"}
    assert all(isinstance(i.docs_count, int) for i in indices)
    assert es0.count() == sum(i.docs_count or 0 for i in indices)
    assert es0.count("operate-list-view-*", query={"match_all": {}}) == 0


def test_a_closed_index_has_no_document_count(es0: ElasticsearchClient) -> None:
    name = es0.indices()[0].index
    assert es0.http.post(f"/{name}/_close").status_code == 200

    closed = next(i for i in es0.indices() if i.index == name)

    assert (closed.status, closed.docs_count) == ("close", None)
