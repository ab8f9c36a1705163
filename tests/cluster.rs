//! mlqd on a Redis Cluster of three masters (`redis+cluster://`).

mod common;

use common::cluster::RedisCluster;

#[test]
fn harness_cluster_spreads_queues_over_masters() {
    let cluster = RedisCluster::shared();
    let ports = cluster.ports();
    assert_eq!(ports.len(), 3);
    let queues = cluster.spread_queues("q", 6);
    assert_eq!(queues.len(), 6);
    let owners: std::collections::BTreeSet<u16> =
        queues.iter().map(|q| cluster.queue_owner(q)).collect();
    assert_eq!(
        owners.len(),
        3,
        "6 queues land on all 3 masters: {owners:?}"
    );
    // the owner really holds the key: a write there works, elsewhere it is MOVED
    let q = &queues[0];
    let key = format!("t:{{{q}}}:probe");
    let owner = cluster.queue_owner(q);
    for port in ports {
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .query(&mut cluster.conn(port));
        assert_eq!(r.is_ok(), port == owner, "SET on {port}: {r:?}");
    }
    assert_eq!(cluster.keys("t"), vec![key]);
}

#[test]
fn harness_tls_cluster_starts() {
    let cluster = RedisCluster::start_tls();
    assert!(cluster.url().starts_with("rediss+cluster://127.0.0.1:"));
    let q = "tlsq";
    let owner = cluster.queue_owner(q);
    let _: () = redis::cmd("SET")
        .arg("{tlsq}:k")
        .arg(1)
        .query(&mut cluster.conn(owner))
        .unwrap();
    assert_eq!(cluster.keys("{tlsq}"), vec!["{tlsq}:k".to_string()]);
}
