# The drill around Camunda's dual-region operational procedure: the steady state before the loss and after the
# failback, the loss itself, the empty replacement region, and the marker instances that measure RPO and RTO.
# The lost region is a parameter of the run (--lost-region 0|1|both): the steps speak of the lost, surviving and
# recreated region, never of region 0 or 1. The plugin runs every scenario in the drill's order, whatever the
# Feature names.
@drill @c8.8 @c8.7
Feature: Dual-region drill: steady state, loss and recovery of one region

  @steady-before
  Scenario: Dual-region deployment is healthy before the loss
    Given Both regions answer: their gateways and their Elasticsearch clusters.
    # Written through the gateway of the region about to be lost: what it acknowledged must survive the loss.
    When the drill writes 5 uniquely tagged marker instances through the lost region's gateway
    Then The Zeebe cluster has its full dual-region topology, both exporters are enabled and both Elasticsearch clusters are green.
    And Every marker written before the loss is visible in both regions' Elasticsearch.

  # In a drill (sim, kind) the harness takes the region down; against existing clusters (kube) the region is
  # really lost and this scenario only verifies it. The failover RTO clock starts here.
  @region-loss @destructive
  Scenario: The lost region goes down
    Given Markers written before the loss are acknowledged by Zeebe.
    When the lost region goes down
    Then The lost region's brokers are unreachable from the surviving region.

  # Incident mode (--mode incident; the default on kube): the region is really lost and the harness causes
  # nothing, so this scenario replaces the two above. One topology read cannot tell a lost region from a restart
  # (the procedure says a temporary loss needs no recovery): the lost brokers must stay out of the surviving
  # topology for the whole --lost-for window, and their partitions must have lost quorum, before failover-1 may
  # remove them. The failover RTO starts at the first observation of the loss.
  @incident-confirmed @incident
  Scenario: The lost region is really lost (incident)
    Given The surviving region answers: its gateway and its Elasticsearch cluster.
    Then The lost region's brokers stayed unreachable for the whole confirmation window.
    And The lost region's partitions have no quorum: no partition has a leader.

  # Not in the official document: its reviews ask to fence the zombie region before redirecting traffic. A lost
  # region may come back as it was (a partition heals, nodes restart) with the old cluster configuration; the
  # fence (kube: NetworkPolicy c8-drill-fence, deny all ingress and egress in its namespace) keeps it out until
  # region-recreate has wiped it. A region whose API is down cannot be fenced: --fence if-reachable (the default)
  # records it and warns, so the failover is not blocked by a region that is gone anyway; --fence required fails.
  @fence-lost-region @destructive
  Scenario: The lost region is fenced off
    Given The lost region's brokers are still unreachable from the surviving region.
    When the lost region's namespace is fenced
    Then The lost region's namespace denies all traffic: if the region returns, it cannot rejoin.

  # The procedure's failover step 1, "use DNS to reroute traffic to the surviving active region", which it leaves
  # to your DNS setup. The drill runs --reroute-command (sim without one: its own public endpoint is switched), or
  # asks a person to confirm (--approve-each-step), then probes --public-endpoint until /v2/topology answers with
  # the surviving gateway's brokers. Without a public endpoint nothing can be probed: the journal says so.
  @reroute-traffic @destructive
  Scenario: Public traffic is rerouted to the surviving region
    Given The lost region is fenced, or unreachable and accepted unfenced.
    When public traffic is rerouted to the surviving region
    Then The public endpoint answers with the surviving region's gateway and its brokers.

  # Runs right after failover-1: the surviving region accepts instances again, but cannot export them until
  # failover-2 disables the exporter to the lost region.
  @failover-markers
  Scenario: Processing resumes in the surviving region
    Given The lost brokers have been removed and every partition has a leader in the surviving region.
    When the drill writes 3 uniquely tagged marker instances through the surviving region's gateway
    Then New process instances are accepted by the surviving region.

  # Runs right after failover-2. The first marker seen here ends the failover RTO.
  @failover-visible
  Scenario: Data written during the failover reaches the surviving region's Elasticsearch
    Given The lost region's exporter is disabled.
    Then Every marker written during the failover is visible in the surviving region's Elasticsearch.

  # Runs before failback-1: the drill provides the replacement (sim: an empty region; kind: a clean namespace);
  # against existing clusters the operator provides it and this scenario only verifies it. Either way the When
  # then lifts the fence: only after the wipe, so a region that came back with its old data never rejoins.
  @region-recreate @destructive
  Scenario: An empty region replaces the lost one
    Given The surviving region runs alone: only its brokers are cluster members.
    When an empty replacement region is provided
    Then The recreated region is reachable and its namespace is clean: no release, no volumes.
    And The recreated namespace holds no fence: its brokers can join once they are deployed.

  # RPO: every marker must be in both regions' Elasticsearch. RTO: failover within --failover-budget (60 s by
  # default, DNS excluded), failback within --failback-budget (300 s) plus the measured backup and restore time.
  @steady-after
  Scenario: Dual-region deployment is healthy again after the failback
    Given Every step of the failover and the failback passed.
    And Every broker of both regions is a cluster member again.
    Then The Zeebe cluster has its full dual-region topology, both exporters are enabled and both Elasticsearch clusters are green.
    And Every marker, written before the loss and during the failover, is visible in both regions' Elasticsearch.
    And Failover and failback took no longer than their budgets, and no marker was lost.
