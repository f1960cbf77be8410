# Failover: Camunda 8 dual-region operational procedure, phase 1 of 2. Each scenario is one step of the
# procedure: Given its current state, When its action, Then its desired state (the document's table rows).
@failover @c8.8 @c8.7
Feature: Failover: temporary recovery in the surviving region

  # The harness refuses to force-remove brokers that the surviving gateway still reaches: that would split the
  # brain. The document's sample output is right here: after a forced removal, clusterSize and
  # replicationFactor are half the original values.
  @failover-1 @destructive
  Scenario: Remove lost brokers from Zeebe cluster in the surviving region
    Given One of the regions is fully lost: its brokers are unreachable.
    And Zeebe is unable to process new requests due to losing the quorum.
    And No data has been lost thanks to Zeebe data replication.
    When the lost brokers are force-removed from the Zeebe cluster
    Then The lost brokers have been removed from the Zeebe cluster.
    And Continued processing is enabled; new brokers will only join the cluster in the failback.

  # The document only states that exporting stalls; the drill proves it with a probe instance that does not
  # reach Elasticsearch before this step, and does after it.
  # On an 8.8 migrated from 8.7 whose legacy exporters elasticsearchregion0/1 are still enabled (e.g. for Optimize),
  # the same step applies to the legacy exporters (the document's info box): the lost region's legacy exporter is
  # disabled too, after the first change completed (--camunda-version 8.7 or auto). Disabled ones are ignored.
  @failover-2 @destructive
  Scenario: Configure Zeebe to disable the Elastic exporter to the lost region
    Given Zeebe brokers in the surviving region still point to the lost region's Elasticsearch.
    And Zeebe cannot continue exporting data; regular interaction with Camunda 8 is not restored.
    When the exporter to the lost region's Elasticsearch is disabled
    Then The exporter to the failed region is disabled; Zeebe exports to Elasticsearch again.
    And Regular interaction with Camunda 8 is restored: the temporary recovery is concluded.
