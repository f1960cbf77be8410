"""The Elasticsearch model: what failback step 4 relies on, and what goes wrong when a step is skipped or rushed."""

from __future__ import annotations

from typing import Any

import pytest

from drill.sim.clock import FakeClock
from drill.sim.model.elasticsearch import GIB, ElasticsearchCluster, SnapshotStore
from drill.sim.model.errors import ModelError

FS_REPO = {"type": "fs", "settings": {"location": "/snapshots/camunda"}}
S3_REPO = {"type": "s3", "settings": {"bucket": "dr-bucket", "client": "camunda", "base_path": "backups"}}
CONFLICT_REASON = (
    "cannot restore index [{index}] because an open index with same name already exists in the cluster. "
    "Either close or delete the existing index or restore the index under a different name by providing a "
    "rename pattern and replacement name"
)


def pair(clock: FakeClock, **kwargs: Any) -> tuple[ElasticsearchCluster, ElasticsearchCluster]:
    store = SnapshotStore()
    return (
        ElasticsearchCluster(region=0, clock=clock, store=store, seed=1, **kwargs),
        ElasticsearchCluster(region=1, clock=clock, store=store, seed=1, **kwargs),
    )


def error_of(exc: pytest.ExceptionInfo[ModelError]) -> tuple[int, str, str]:
    body = exc.value.body
    return body["status"], body["error"]["type"], body["error"]["reason"]


def seed_documents(es: ElasticsearchCluster, index: str = "operate-list-view-8.3.0_", n: int = 3) -> None:
    for i in range(n):
        es.index_document(index, f"pi-{i}", {"processInstanceKey": i, "bpmnProcessId": "bigVarProcess"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- indices and documents ---------------------------------------------------------------------------------


def test_create_index_is_idempotent_and_names_are_sorted(clock: FakeClock) -> None:
    es, _ = pair(clock)
    es.create_index("tasklist-task-8.8.0_")
    es.create_index("operate-job-8.6.0_")
    es.create_index("tasklist-task-8.8.0_")
    assert es.index_names() == ["operate-job-8.6.0_", "tasklist-task-8.8.0_"]


def test_documents_keep_insertion_order_and_the_same_id_overwrites(clock: FakeClock) -> None:
    es, _ = pair(clock)
    es.index_document("idx", "a", {"v": 1})
    es.index_document("idx", "b", {"v": 2})
    es.index_document("idx", "a", {"v": 3})
    assert es.documents("idx") == [{"v": 3}, {"v": 2}]
    assert es.documents("missing") == []
    row = es.cat_indices("idx")[0]
    assert (row["docs.count"], row["docs.deleted"]) == (2, 1)


def test_count_honours_patterns_and_queries(clock: FakeClock) -> None:
    es, _ = pair(clock)
    seed_documents(es, "operate-a", 3)
    seed_documents(es, "operate-b", 2)
    es.index_document("tasklist-x", "t", {"bpmnProcessId": "other process", "tags": ["x", "y"]})
    assert es.count() == 6
    assert es.count("operate-*") == 5
    assert es.count("operate-*,-operate-b") == 3
    assert es.count(None, {"term": {"processInstanceKey": 1}}) == 2
    assert es.count(None, {"term": {"tags": {"value": "y"}}}) == 1
    assert es.count(None, {"match": {"bpmnProcessId": "Other"}}) == 1
    query = {"bool": {"must": [{"match_all": {}}], "must_not": [{"term": {"processInstanceKey": 0}}]}}
    assert es.count("operate-a", query) == 2


def test_count_of_a_missing_index_is_index_not_found(clock: FakeClock) -> None:
    es, _ = pair(clock)
    assert es.count("nothing-*") == 0
    with pytest.raises(ModelError) as exc:
        es.count("nothing")
    assert error_of(exc) == (404, "index_not_found_exception", "no such index [nothing]")


def test_unknown_query_and_invalid_index_name_are_bad_requests(clock: FakeClock) -> None:
    es, _ = pair(clock)
    es.create_index("idx")
    with pytest.raises(ModelError) as exc:
        es.count("idx", {"fuzzy_magic": {}})
    assert error_of(exc) == (400, "parsing_exception", "unknown query [fuzzy_magic]")
    with pytest.raises(ModelError) as exc:
        es.create_index("Operate")
    assert error_of(exc) == (400, "invalid_index_name_exception", "Invalid index name [Operate], must be lowercase")


def test_delete_index_needs_concrete_names(clock: FakeClock) -> None:
    es, _ = pair(clock)
    es.create_index("a")
    with pytest.raises(ModelError) as exc:
        es.delete_index("*")
    assert error_of(exc)[:2] == (400, "illegal_argument_exception")
    assert es.delete_index("a") == {"acknowledged": True}
    with pytest.raises(ModelError) as exc:
        es.delete_index("a")
    assert exc.value.status == 404


# -- repositories -------------------------------------------------------------------------------------------


def test_fs_location_must_be_under_path_repo(clock: FakeClock) -> None:
    es, _ = pair(clock)
    with pytest.raises(ModelError) as exc:
        es.put_repository("camunda_backup", {"type": "fs", "settings": {"location": "/tmp/elsewhere"}})
    body = exc.value.body
    cause = "[camunda_backup] location [/tmp/elsewhere] doesn't match any of the locations specified by path.repo"
    assert body == {
        "error": {
            "root_cause": [{"type": "repository_exception", "reason": cause}],
            "type": "repository_exception",
            "reason": "[camunda_backup] failed to create repository",
            "caused_by": {"type": "repository_exception", "reason": cause},
        },
        "status": 500,
    }
    es.put_repository("relative", {"type": "fs", "settings": {"location": "camunda"}})
    assert es.repository_location("relative") == "fs:/usr/share/elasticsearch/snapshots/camunda"
    with pytest.raises(ModelError) as exc:
        es.put_repository("escape", {"type": "fs", "settings": {"location": "../../etc"}})
    assert exc.value.status == 500


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, (400, "parse_exception", "request body is required")),
        ({"settings": {}}, (400, "action_request_validation_exception", "Validation Failed: 1: type is missing;")),
        ({"type": "gcs", "settings": {}}, (500, "repository_exception", "[r] repository type [gcs] does not exist")),
        ({"type": "s3", "settings": {}}, (500, "repository_exception", "[r] failed to create repository")),
        ({"type": "fs"}, (500, "repository_exception", "[r] failed to create repository")),
    ],
)
def test_invalid_repository_definitions(clock: FakeClock, body: Any, expected: tuple[int, str, str]) -> None:
    es, _ = pair(clock)
    with pytest.raises(ModelError) as exc:
        es.put_repository("r", body)
    assert error_of(exc) == expected
    assert exc.value.status == expected[0]


def test_repository_settings_read_back_as_strings_and_delete(clock: FakeClock) -> None:
    es, _ = pair(clock)
    es.put_repository("camunda_backup", {"type": "s3", "settings": {**S3_REPO["settings"], "compress": True}})
    assert es.repositories() == {
        "camunda_backup": {
            "type": "s3",
            "settings": {"bucket": "dr-bucket", "client": "camunda", "base_path": "backups", "compress": "true"},
        }
    }
    assert es.delete_repository("camunda_backup") == {"acknowledged": True}
    with pytest.raises(ModelError) as exc:
        es.repositories("camunda_backup")
    assert error_of(exc) == (404, "repository_missing_exception", "[camunda_backup] missing")


@pytest.mark.parametrize("definition", [FS_REPO, S3_REPO])
def test_both_regions_share_the_store_but_see_new_snapshots_only_after_registering_again(
    clock: FakeClock, definition: dict[str, Any]
) -> None:
    surviving, recreated = pair(clock)
    seed_documents(surviving)
    surviving.put_repository("camunda_backup", definition)
    recreated.put_repository("camunda_backup", definition)  # too early: before the snapshot exists
    surviving.create_snapshot("camunda_backup", "failback")
    clock.advance(0)
    assert [s["snapshot"] for s in surviving.get_snapshots("camunda_backup")["snapshots"]] == ["failback"]
    assert recreated.get_snapshots("camunda_backup") == {"snapshots": [], "total": 0, "remaining": 0}
    with pytest.raises(ModelError) as exc:
        recreated.restore_snapshot("camunda_backup", "failback")
    assert error_of(exc) == (500, "snapshot_restore_exception", "[camunda_backup:failback] snapshot does not exist")

    recreated.put_repository("camunda_backup", definition)
    listed = recreated.get_snapshots("camunda_backup")
    assert listed["total"] == 1
    assert listed["snapshots"][0] == surviving.get_snapshots("camunda_backup")["snapshots"][0]


def test_repository_names_may_differ_between_regions(clock: FakeClock) -> None:
    surviving, recreated = pair(clock)
    surviving.put_repository("a", S3_REPO)
    surviving.create_snapshot("a", "failback")
    recreated.put_repository("b", {"type": "s3", "settings": {"bucket": "dr-bucket", "base_path": "/backups/"}})
    assert recreated.get_snapshots("b")["snapshots"][0]["repository"] == "b"


# -- snapshots ----------------------------------------------------------------------------------------------


def test_snapshot_runs_for_its_modelled_duration(clock: FakeClock) -> None:
    es, _ = pair(clock, time_scale=1.0, extra_data_bytes=GIB)
    seed_documents(es, "operate-a", 2)
    seed_documents(es, "operate-b", 2)
    es.put_repository("camunda_backup", FS_REPO)
    uuid = es.create_snapshot("camunda_backup", "failback", {"include_global_state": True})
    # 1 s of overhead plus 8 s per GiB written
    info = es.get_snapshots("camunda_backup", "failback")["snapshots"][0]
    assert info["state"] == "IN_PROGRESS"
    assert "end_time" not in info
    assert es.snapshot_result(uuid) is None
    clock.advance(4.6)
    status = es.snapshot_status("camunda_backup", "failback")["snapshots"][0]
    assert status["state"] == "STARTED"
    assert status["shards_stats"]["done"] == 1
    assert status["shards_stats"]["total"] == 2
    clock.advance(4.5)
    result = es.snapshot_result(uuid)
    assert result is not None
    snapshot = result["snapshot"]
    assert snapshot["state"] == "SUCCESS"
    assert snapshot["shards"] == {"total": 2, "failed": 0, "successful": 2}
    assert 9000 <= snapshot["duration_in_millis"] < 9100
    assert snapshot["end_time_in_millis"] - snapshot["start_time_in_millis"] == snapshot["duration_in_millis"]
    done = es.snapshot_status("camunda_backup", "failback")["snapshots"][0]
    assert done["state"] == "SUCCESS"
    assert done["shards_stats"]["done"] == done["shards_stats"]["total"] == 2


def test_time_scale_zero_completes_at_the_next_observation(clock: FakeClock) -> None:
    es, _ = pair(clock, extra_data_bytes=50 * GIB)
    es.put_repository("camunda_backup", FS_REPO)
    uuid = es.create_snapshot("camunda_backup", "failback")
    result = es.snapshot_result(uuid)
    assert result is not None
    assert result["snapshot"]["state"] == "SUCCESS"


def test_second_snapshot_of_unchanged_data_is_incremental(clock: FakeClock) -> None:
    es, _ = pair(clock, time_scale=1.0, extra_data_bytes=GIB)
    seed_documents(es)
    es.put_repository("camunda_backup", FS_REPO)
    es.create_snapshot("camunda_backup", "first")
    clock.advance(60)
    es.create_snapshot("camunda_backup", "second")
    clock.advance(1)
    second = es.snapshot_status("camunda_backup", "second")["snapshots"][0]
    assert second["state"] == "SUCCESS"
    assert second["stats"]["incremental"] == {"file_count": 0, "size_in_bytes": 0}
    assert second["stats"]["total"]["size_in_bytes"] > GIB


def test_snapshot_captures_documents_at_creation(clock: FakeClock) -> None:
    surviving, recreated = pair(clock, time_scale=1.0)
    seed_documents(surviving, n=3)
    surviving.put_repository("camunda_backup", S3_REPO)
    surviving.create_snapshot("camunda_backup", "failback")
    surviving.index_document("operate-list-view-8.3.0_", "late", {"late": True})
    clock.advance(10)
    recreated.put_repository("camunda_backup", S3_REPO)
    recreated.restore_snapshot("camunda_backup", "failback")
    clock.advance(10)
    assert recreated.count("operate-*") == 3
    assert surviving.count("operate-*") == 4


def test_duplicate_and_invalid_snapshot_names(clock: FakeClock) -> None:
    es, _ = pair(clock, time_scale=1.0)
    es.put_repository("camunda_backup", FS_REPO)
    es.create_snapshot("camunda_backup", "failback")
    with pytest.raises(ModelError) as exc:
        es.create_snapshot("camunda_backup", "failback")
    assert error_of(exc) == (
        400,
        "invalid_snapshot_name_exception",
        "[camunda_backup:failback] Invalid snapshot name [failback], "
        "snapshot with the same name is already in-progress",
    )
    clock.advance(5)
    with pytest.raises(ModelError) as exc:
        es.create_snapshot("camunda_backup", "failback")
    assert error_of(exc) == (
        400,
        "invalid_snapshot_name_exception",
        "[camunda_backup:failback] Invalid snapshot name [failback], snapshot with the same name already exists",
    )
    with pytest.raises(ModelError) as exc:
        es.create_snapshot("camunda_backup", "Failback")
    assert error_of(exc)[2].endswith("must be lowercase")
    with pytest.raises(ModelError) as exc:
        es.create_snapshot("missing", "x")
    assert error_of(exc) == (404, "repository_missing_exception", "[missing] missing")


def test_missing_snapshots_are_404_unless_ignored(clock: FakeClock) -> None:
    es, _ = pair(clock)
    es.put_repository("camunda_backup", FS_REPO)
    es.create_snapshot("camunda_backup", "one")
    with pytest.raises(ModelError) as exc:
        es.get_snapshots("camunda_backup", "one,two")
    assert error_of(exc) == (404, "snapshot_missing_exception", "[camunda_backup:two] is missing")
    assert es.get_snapshots("camunda_backup", "one,two", ignore_unavailable=True)["total"] == 1


@pytest.mark.parametrize("fault", ["PARTIAL", "FAILED"])
def test_snapshot_faults(clock: FakeClock, fault: str) -> None:
    surviving, recreated = pair(clock)
    seed_documents(surviving, "operate-a")
    seed_documents(surviving, "operate-b")
    surviving.put_repository("camunda_backup", FS_REPO)
    surviving.fail_next_snapshot(fault)
    uuid = surviving.create_snapshot("camunda_backup", "failback")
    result = surviving.snapshot_result(uuid)
    assert result is not None
    snapshot = result["snapshot"]
    assert snapshot["state"] == fault
    assert snapshot["shards"]["failed"] > 0
    assert snapshot["failures"]
    assert snapshot["failures"][0]["index"] == "operate-a"
    recreated.put_repository("camunda_backup", FS_REPO)
    with pytest.raises(ModelError) as exc:
        recreated.restore_snapshot("camunda_backup", "failback")
    prefix = f"[camunda_backup:failback/{snapshot['uuid']}]"
    if fault == "FAILED":
        assert error_of(exc) == (500, "snapshot_restore_exception", f"{prefix} unsupported snapshot state [FAILED]")
    else:
        reason = f"{prefix} index [operate-a] wasn't fully snapshotted - cannot restore"
        assert error_of(exc) == (500, "snapshot_restore_exception", reason)
    # the fault is for one snapshot only
    assert surviving.snapshot_result(surviving.create_snapshot("camunda_backup", "again")) is not None
    assert surviving.get_snapshots("camunda_backup", "again")["snapshots"][0]["state"] == "SUCCESS"


def test_partial_snapshot_restores_with_partial_flag(clock: FakeClock) -> None:
    surviving, recreated = pair(clock)
    seed_documents(surviving, "operate-a")
    seed_documents(surviving, "operate-b")
    surviving.put_repository("camunda_backup", FS_REPO)
    surviving.fail_next_snapshot("PARTIAL")
    surviving.create_snapshot("camunda_backup", "failback")
    recreated.put_repository("camunda_backup", FS_REPO)
    restore_id = recreated.restore_snapshot("camunda_backup", "failback", {"partial": True})
    result = recreated.restore_result(restore_id)
    assert result is not None
    assert result["snapshot"]["shards"] == {"total": 2, "failed": 1, "successful": 1}
    assert recreated.count("operate-a") == 0
    assert recreated.count("operate-b") == 3


def test_deleting_a_running_snapshot_aborts_it(clock: FakeClock) -> None:
    es, _ = pair(clock, time_scale=1.0)
    es.put_repository("camunda_backup", FS_REPO)
    uuid = es.create_snapshot("camunda_backup", "failback")
    assert es.delete_snapshot("camunda_backup", "failback") == {"acknowledged": True}
    result = es.snapshot_result(uuid)
    assert result is not None
    assert result["snapshot"]["state"] == "FAILED"
    assert es.get_snapshots("camunda_backup")["total"] == 0
    assert es.store.snapshot_names(es.repository_location("camunda_backup")) == []


def test_writing_through_a_stale_view_disables_the_repository_until_registered_again(clock: FakeClock) -> None:
    surviving, recreated = pair(clock)
    surviving.put_repository("camunda_backup", S3_REPO)
    recreated.put_repository("camunda_backup", S3_REPO)
    surviving.create_snapshot("camunda_backup", "failback")
    uuid = recreated.create_snapshot("camunda_backup", "from-recreated")
    with pytest.raises(ModelError) as exc:
        recreated.snapshot_result(uuid)
    status, kind, reason = error_of(exc)
    assert (status, kind) == (500, "repository_exception")
    assert "please remove the repository from the cluster and add it again" in reason
    with pytest.raises(ModelError):
        recreated.get_snapshots("camunda_backup")
    recreated.put_repository("camunda_backup", S3_REPO)
    assert [s["snapshot"] for s in recreated.get_snapshots("camunda_backup")["snapshots"]] == ["failback"]


# -- restore ------------------------------------------------------------------------------------------------


def test_restore_into_open_schema_indices_is_refused_with_elasticsearch_reason(clock: FakeClock) -> None:
    surviving, recreated = pair(clock)
    seed_documents(surviving)
    surviving.put_repository("camunda_backup", S3_REPO)
    uuid = surviving.create_snapshot("camunda_backup", "failback")
    snapshot_uuid = surviving.snapshot_result(uuid)["snapshot"]["uuid"]  # type: ignore[index]
    recreated.create_index("operate-list-view-8.3.0_")  # the schema manager was not switched off
    recreated.put_repository("camunda_backup", S3_REPO)
    with pytest.raises(ModelError) as exc:
        recreated.restore_snapshot("camunda_backup", "failback", {"include_global_state": True})
    reason = f"[camunda_backup:failback/{snapshot_uuid}] " + CONFLICT_REASON.format(index="operate-list-view-8.3.0_")
    assert exc.value.status == 500
    assert exc.value.body == {
        "error": {
            "root_cause": [{"type": "snapshot_restore_exception", "reason": reason}],
            "type": "snapshot_restore_exception",
            "reason": reason,
        },
        "status": 500,
    }
    assert recreated.count("operate-*") == 0  # nothing was restored


def test_restore_after_deleting_or_closing_the_conflicting_index(clock: FakeClock) -> None:
    surviving, recreated = pair(clock)
    seed_documents(surviving, "operate-a")
    seed_documents(surviving, "operate-b", 2)
    surviving.put_repository("camunda_backup", S3_REPO)
    surviving.create_snapshot("camunda_backup", "failback")
    recreated.create_index("operate-a")
    recreated.create_index("operate-b")
    closed_uuid = recreated.cat_indices("operate-b")[0]["uuid"]
    recreated.delete_index("operate-a")
    recreated.close_index("operate-b")
    recreated.put_repository("camunda_backup", S3_REPO)
    restore_id = recreated.restore_snapshot("camunda_backup", "failback")
    assert recreated.restore_result(restore_id) == {
        "snapshot": {
            "snapshot": "failback",
            "indices": ["operate-a", "operate-b"],
            "shards": {"total": 2, "failed": 0, "successful": 2},
        }
    }
    assert recreated.count("operate-*") == 5
    assert recreated.documents("operate-b") == surviving.documents("operate-b")
    assert recreated.cat_indices("operate-b")[0]["uuid"] == closed_uuid  # restored over the closed index


def test_restore_with_rename_and_index_filter(clock: FakeClock) -> None:
    surviving, _ = pair(clock)
    seed_documents(surviving, "operate-a")
    seed_documents(surviving, "tasklist-a")
    surviving.put_repository("camunda_backup", FS_REPO)
    surviving.create_snapshot("camunda_backup", "failback")
    body = {"indices": "operate-*", "rename_pattern": "(.+)", "rename_replacement": "restored-$1"}
    restore_id = surviving.restore_snapshot("camunda_backup", "failback", body)
    assert surviving.restore_result(restore_id)["snapshot"]["indices"] == ["restored-operate-a"]  # type: ignore[index]
    assert surviving.count("restored-operate-a") == 3
    assert "restored-tasklist-a" not in surviving.index_names()


def test_restored_indices_are_red_and_unsearchable_until_recovered(clock: FakeClock) -> None:
    surviving, recreated = pair(clock, time_scale=1.0, extra_data_bytes=2 * GIB)
    seed_documents(surviving)
    surviving.put_repository("camunda_backup", S3_REPO)
    surviving.create_snapshot("camunda_backup", "failback")
    clock.advance(60)
    recreated.put_repository("camunda_backup", S3_REPO)
    restore_id = recreated.restore_snapshot("camunda_backup", "failback")
    # 0.5 s of overhead plus 11 s per GiB
    health = recreated.health()
    assert (health["status"], health["initializing_shards"], health["active_primary_shards"]) == ("red", 1, 0)
    assert recreated.restore_result(restore_id) is None
    assert recreated.documents("operate-list-view-8.3.0_") == []
    with pytest.raises(ModelError) as exc:
        recreated.count("operate-list-view-8.3.0_")
    assert error_of(exc)[:2] == (503, "search_phase_execution_exception")
    with pytest.raises(ModelError) as exc:
        recreated.index_document("operate-list-view-8.3.0_", "x", {})
    assert error_of(exc)[:2] == (503, "unavailable_shards_exception")
    with pytest.raises(ModelError) as exc:
        recreated.close_index("operate-list-view-8.3.0_")
    assert exc.value.status == 400
    clock.advance(22.4)
    assert recreated.restore_result(restore_id) is None
    clock.advance(0.2)
    assert recreated.restore_result(restore_id) is not None
    assert recreated.health()["status"] == "green"
    assert recreated.count("operate-*") == 3


def test_restored_data_weighs_what_it_weighed_in_the_snapshot(clock: FakeClock) -> None:
    surviving, recreated = pair(clock, extra_data_bytes=GIB)
    seed_documents(surviving, "operate-a", 3)
    seed_documents(surviving, "operate-b", 1)
    recreated.create_index("operate-a")  # the schema manager's empty index weighs nothing
    assert recreated.cat_indices("operate-a")[0]["store.size"] == 249
    recreated.delete_index("operate-a")
    surviving.put_repository("camunda_backup", FS_REPO)
    surviving.create_snapshot("camunda_backup", "failback")
    recreated.put_repository("camunda_backup", FS_REPO)
    recreated.restore_snapshot("camunda_backup", "failback")
    sizes = {r["index"]: r["store.size"] for r in surviving.cat_indices()}
    assert sizes["operate-a"] == 249 + 3 * 1024 + GIB * 3 // 4
    assert {r["index"]: r["store.size"] for r in recreated.cat_indices()} == sizes


def test_replicas_make_restored_indices_yellow_until_copied(clock: FakeClock) -> None:
    store = SnapshotStore()
    surviving = ElasticsearchCluster(region=0, clock=clock, store=store, time_scale=1.0)
    recreated = ElasticsearchCluster(
        region=1, clock=clock, store=store, time_scale=1.0, number_of_nodes=2, number_of_replicas=1
    )
    seed_documents(surviving)
    surviving.put_repository("camunda_backup", FS_REPO)
    surviving.create_snapshot("camunda_backup", "failback")
    clock.advance(5)
    recreated.put_repository("camunda_backup", FS_REPO)
    restore_id = recreated.restore_snapshot("camunda_backup", "failback")
    assert recreated.health_status() == "red"
    clock.advance(0.51)
    assert recreated.restore_result(restore_id) is not None
    assert recreated.health_status() == "yellow"
    clock.advance(0.2)
    health = recreated.health()
    assert (health["status"], health["active_shards"], health["unassigned_shards"]) == ("green", 2, 0)


def test_replicas_that_cannot_be_allocated_keep_the_cluster_yellow(clock: FakeClock) -> None:
    es = ElasticsearchCluster(region=0, clock=clock, store=SnapshotStore(), number_of_replicas=1)
    es.create_index("idx")
    health = es.health()
    assert (health["status"], health["unassigned_shards"], health["active_shards_percent_as_number"]) == (
        "yellow",
        1,
        50.0,
    )


# -- health and identity ------------------------------------------------------------------------------------


def test_health_override(clock: FakeClock) -> None:
    es, _ = pair(clock)
    assert es.health()["status"] == "green"
    es.force_health("red")
    assert es.health_status() == "red"
    assert not es.health_reached("yellow")
    es.force_health("yellow")
    assert es.health_reached("yellow")
    assert not es.health_reached("green")
    es.force_health(None)
    assert es.health()["status"] == "green"
    with pytest.raises(ValueError):
        es.force_health("purple")
    with pytest.raises(ValueError):
        es.fail_next_snapshot("SUCCESS")


def test_root_info_identifies_elasticsearch(clock: FakeClock) -> None:
    es, other = pair(clock)
    info = es.root_info()
    assert info["tagline"] == "You Know, for Search"
    assert info["version"]["number"] == "8.18.0"
    assert info["version"]["build_flavor"] == "default"
    assert info["cluster_uuid"] != other.root_info()["cluster_uuid"]
