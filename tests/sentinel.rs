//! mlqd behind Redis Sentinel (`redis+sentinel://`), following a failover without restarts.

mod common;

use std::time::Duration;

use common::sentinel::{SentinelSetup, info};

#[test]
fn harness_sentinel_failover_promotes_the_replica() {
    let setup = SentinelSetup::start();
    let old = setup.master_port();
    assert_eq!(old, setup.data_ports()[0]);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut setup.master_conn())
        .unwrap();
    let started = std::time::Instant::now();
    let new = setup.failover();
    eprintln!("promoted in {:?}", started.elapsed());
    assert_ne!(new, old);
    assert_eq!(new, setup.data_ports()[1]);
    let v: String = redis::cmd("GET")
        .arg("k")
        .query(&mut setup.master_conn())
        .unwrap();
    assert_eq!(v, "v", "the promoted replica has the data");
    // the old master is turned into a replica of the new one after a while
    for _ in 0..300 {
        if info(old, "replication").contains("role:slave") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("old master demoted after {:?}", started.elapsed());
    assert!(info(old, "replication").contains("role:slave"));
    assert!(setup.wait_replica_synced(Duration::from_secs(20)));
}
