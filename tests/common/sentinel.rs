//! A private Sentinel setup on free loopback ports: a master, one replica and three
//! sentinels (`redis-server FILE --sentinel`, each with its own config file, since a sentinel
//! rewrites it), short `down-after-milliseconds`/`failover-timeout`, and a helper that runs
//! `SENTINEL FAILOVER` and waits until the replica is the master.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use super::servers;

/// The name the sentinels monitor.
pub const MASTER_NAME: &str = "mymaster";

struct Server {
    child: Option<Child>,
    port: u16,
}

/// A master, a replica and three sentinels. Killed when dropped.
pub struct SentinelSetup {
    /// The two data nodes (which one is the master changes with a failover).
    data: Vec<Server>,
    sentinels: Vec<Server>,
    pub dir: PathBuf,
}

impl SentinelSetup {
    pub fn start() -> Self {
        let dir = servers::private_dir("sentinel");
        let mut setup = SentinelSetup {
            data: Vec::new(),
            sentinels: Vec::new(),
            dir,
        };
        let master = setup.start_data_node(None);
        setup.start_data_node(Some(master));
        let replica = setup.data[1].port;
        let linked = servers::wait_for(Duration::from_secs(10), || {
            info(replica, "replication").contains("master_link_status:up")
        });
        assert!(linked, "the replica did not sync with the master");
        for i in 0..3 {
            setup.start_sentinel(i, master);
        }
        // A failover needs the sentinels to know the replica (and each other, for the
        // quorum of an automatic one).
        let ready = servers::wait_for(Duration::from_secs(15), || {
            setup.sentinel_ports().iter().all(|&s| {
                let replicas = sentinel_cmd(s, &["REPLICAS", MASTER_NAME]);
                let others = sentinel_cmd(s, &["SENTINELS", MASTER_NAME]);
                replicas.contains(&replica.to_string())
                    && !replicas.contains("s_down")
                    && others.matches("name").count() >= 2
            })
        });
        assert!(
            ready,
            "the sentinels did not discover the replica and each other"
        );
        setup
    }

    fn start_data_node(&mut self, master: Option<u16>) -> u16 {
        for _ in 0..10 {
            let port = super::free_port();
            let node_dir = self.dir.join(format!("node-{port}"));
            std::fs::create_dir_all(&node_dir).expect("node dir");
            let mut cmd = servers::server_command(&node_dir);
            cmd.args(["--port", &port.to_string()])
                // a full sync starts at once (the default waits 5 s for more replicas)
                .args(["--repl-diskless-sync-delay", "0"]);
            if let Some(m) = master {
                cmd.args(["--replicaof", "127.0.0.1", &m.to_string()]);
            }
            let mut child = servers::spawn_tied(cmd).expect("start redis-server");
            if servers::wait_for(Duration::from_secs(5), || servers::answers(port)) {
                self.data.push(Server {
                    child: Some(child),
                    port,
                });
                return port;
            }
            servers::kill(&mut child);
        }
        panic!("could not start a redis-server for the sentinel setup");
    }

    fn start_sentinel(&mut self, i: usize, master: u16) {
        for _ in 0..10 {
            let port = super::free_port();
            let sdir = self.dir.join(format!("sentinel{i}-{port}"));
            std::fs::create_dir_all(&sdir).expect("sentinel dir");
            let conf = sdir.join("sentinel.conf");
            let text = format!(
                "port {port}\n\
                 bind 127.0.0.1\n\
                 dir {dir}\n\
                 logfile {dir}/redis.log\n\
                 sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n\
                 sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                 sentinel failover-timeout {MASTER_NAME} 5000\n\
                 sentinel parallel-syncs {MASTER_NAME} 1\n",
                dir = sdir.display()
            );
            std::fs::write(&conf, text).expect("write sentinel.conf");
            let mut cmd = Command::new("redis-server");
            cmd.arg(&conf).arg("--sentinel");
            let mut child = servers::spawn_tied(cmd).expect("start redis-sentinel");
            if servers::wait_for(Duration::from_secs(5), || servers::answers(port)) {
                self.sentinels.push(Server {
                    child: Some(child),
                    port,
                });
                return;
            }
            servers::kill(&mut child);
        }
        panic!("could not start a sentinel");
    }

    pub fn sentinel_ports(&self) -> Vec<u16> {
        self.sentinels.iter().map(|s| s.port).collect()
    }

    /// The ports of the two data nodes (the first one started as the master).
    pub fn data_ports(&self) -> Vec<u16> {
        self.data.iter().map(|s| s.port).collect()
    }

    /// `redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/mymaster`.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .sentinel_ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+sentinel://{}/{MASTER_NAME}", nodes.join(","))
    }

    /// The master's port as the first sentinel names it.
    pub fn master_port(&self) -> u16 {
        let addr: Vec<String> = redis::cmd("SENTINEL")
            .arg("GET-MASTER-ADDR-BY-NAME")
            .arg(MASTER_NAME)
            .query(&mut servers::node_conn(self.sentinels[0].port))
            .expect("SENTINEL GET-MASTER-ADDR-BY-NAME");
        addr.get(1)
            .and_then(|p| p.parse().ok())
            .expect("master port")
    }

    /// The replica's port (the data node that is not the master).
    pub fn replica_port(&self) -> u16 {
        let master = self.master_port();
        self.data_ports()
            .into_iter()
            .find(|p| *p != master)
            .expect("a replica")
    }

    /// Runs `SENTINEL FAILOVER` and waits until the replica has been promoted and every
    /// sentinel names it; returns the new master's port. The old master keeps running (it
    /// is turned into a replica by the sentinels some seconds later).
    pub fn failover(&self) -> u16 {
        let old = self.master_port();
        let sentinel = self.sentinels[0].port;
        let started = servers::wait_for(Duration::from_secs(10), || {
            redis::cmd("SENTINEL")
                .arg("FAILOVER")
                .arg(MASTER_NAME)
                .query::<String>(&mut servers::node_conn(sentinel))
                .is_ok()
        });
        assert!(started, "SENTINEL FAILOVER was refused");
        let mut new = 0;
        let promoted = servers::wait_for(Duration::from_secs(20), || {
            new = self.master_port();
            new != old
                && info(new, "replication").contains("role:master")
                && self.sentinel_ports().iter().all(|&s| {
                    sentinel_cmd(s, &["GET-MASTER-ADDR-BY-NAME", MASTER_NAME])
                        .contains(&new.to_string())
                })
        });
        assert!(promoted, "the replica was not promoted");
        new
    }

    /// Waits until the old master has become a replica of the new one and is in sync.
    pub fn wait_replica_synced(&self, limit: Duration) -> bool {
        servers::wait_for(limit, || {
            let replica = self.replica_port();
            info(replica, "replication").contains("master_link_status:up")
        })
    }

    /// A connection to the current master, for assertions.
    pub fn master_conn(&self) -> redis::Connection {
        servers::node_conn(self.master_port())
    }
}

/// `INFO <section>` of a plain node ("" when it does not answer).
pub fn info(port: u16, section: &str) -> String {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(500)))
        .and_then(|mut c| redis::cmd("INFO").arg(section).query::<String>(&mut c))
        .unwrap_or_default()
}

/// A `SENTINEL …` answer flattened to text ("" on error), for `contains` checks.
fn sentinel_cmd(port: u16, args: &[&str]) -> String {
    let out = servers::redis_cli(port, &[&["SENTINEL"], args].concat());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Drop for SentinelSetup {
    fn drop(&mut self) {
        for s in self.sentinels.iter_mut().chain(self.data.iter_mut()) {
            if let Some(mut c) = s.child.take() {
                servers::kill(&mut c);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
