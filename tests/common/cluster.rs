//! A private Redis Cluster of three masters (no replicas) on free loopback ports, made with
//! `redis-server --cluster-enabled yes` ×3 and `redis-cli --cluster create`, plain or TLS.
//! [`RedisCluster::shared`] gives one cluster per test binary (its nodes die with the
//! process), since creating one takes a few seconds.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::Duration;

use redis::Value;

use super::servers;
use super::tls::{ClientAuth, TestCerts};

const MASTERS: usize = 3;

struct Node {
    child: Option<Child>,
    port: u16,
}

/// Three masters covering all 16384 slots.
pub struct RedisCluster {
    nodes: Vec<Node>,
    pub dir: PathBuf,
    /// Set for a TLS cluster (TLS between clients and nodes and on the cluster bus).
    pub certs: Option<TestCerts>,
}

impl RedisCluster {
    /// A plain-TCP cluster owned by the caller (killed when dropped).
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// A TLS-only cluster (`rediss+cluster://`), client certificates optional.
    pub fn start_tls() -> Self {
        Self::start_with(true)
    }

    /// One plain cluster for the whole test binary.
    pub fn shared() -> &'static RedisCluster {
        static SHARED: OnceLock<RedisCluster> = OnceLock::new();
        SHARED.get_or_init(RedisCluster::start)
    }

    fn start_with(tls: bool) -> Self {
        let dir = servers::private_dir("cluster");
        let certs = tls.then(|| TestCerts::make(&dir));
        let mut last_error = String::new();
        for _ in 0..5 {
            let mut cluster = RedisCluster {
                nodes: Vec::new(),
                dir: dir.clone(),
                certs: certs.clone(),
            };
            match cluster.try_start() {
                Ok(()) => return cluster,
                Err(e) => {
                    last_error = e;
                    // keep the directory (the certificates) for the next try
                    cluster.kill_nodes();
                    cluster.dir = PathBuf::new();
                }
            }
        }
        panic!("could not start a redis cluster: {last_error}");
    }

    fn try_start(&mut self) -> Result<(), String> {
        for i in 0..MASTERS {
            let port = servers::cluster_port();
            let node_dir = self.dir.join(format!("node{i}-{port}"));
            std::fs::create_dir_all(&node_dir).map_err(|e| e.to_string())?;
            let mut cmd = servers::server_command(&node_dir);
            cmd.args(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
                .arg("--cluster-config-file")
                .arg(node_dir.join("nodes.conf"))
                .args(["--cluster-port", &(port + 10000).to_string()]);
            match &self.certs {
                Some(certs) => {
                    cmd.args(["--port", "0", "--tls-port", &port.to_string()])
                        .args(["--tls-cluster", "yes", "--tls-replication", "yes"])
                        .args(certs.server_args(ClientAuth::Optional));
                }
                None => {
                    cmd.args(["--port", &port.to_string()]);
                }
            }
            let child = servers::spawn_tied(cmd).map_err(|e| e.to_string())?;
            self.nodes.push(Node {
                child: Some(child),
                port,
            });
        }
        for port in self.ports() {
            if !servers::wait_for(Duration::from_secs(5), || self.ping(port)) {
                return Err(format!("node {port} did not start"));
            }
        }
        let mut create = self.redis_cli(self.nodes[0].port);
        create.arg("--cluster").arg("create");
        for port in self.ports() {
            create.arg(format!("127.0.0.1:{port}"));
        }
        create.args(["--cluster-replicas", "0", "--cluster-yes"]);
        let out = create.output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let ready = servers::wait_for(Duration::from_secs(20), || {
            self.ports().into_iter().all(|p| {
                let info = self.cluster_info(p);
                info.contains("cluster_state:ok")
                    && info.contains("cluster_slots_assigned:16384")
                    && info.contains(&format!("cluster_known_nodes:{MASTERS}"))
            })
        });
        if !ready {
            return Err("the cluster did not reach cluster_state:ok".into());
        }
        Ok(())
    }

    fn redis_cli(&self, port: u16) -> Command {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()]);
        if let Some(c) = &self.certs {
            cmd.arg("--tls")
                .arg("--cacert")
                .arg(&c.ca)
                .arg("--cert")
                .arg(&c.client_cert)
                .arg("--key")
                .arg(&c.client_key);
        }
        cmd
    }

    fn cluster_info(&self, port: u16) -> String {
        self.try_conn(port)
            .and_then(|mut c| redis::cmd("CLUSTER").arg("INFO").query::<String>(&mut c))
            .unwrap_or_default()
    }

    fn ping(&self, port: u16) -> bool {
        self.try_conn(port)
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok()
    }

    fn try_conn(&self, port: u16) -> redis::RedisResult<redis::Connection> {
        let client = match &self.certs {
            Some(c) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                redis::Client::build_with_tls(
                    format!("rediss://127.0.0.1:{port}"),
                    c.redis_certificates(),
                )?
            }
            None => redis::Client::open(format!("redis://127.0.0.1:{port}"))?,
        };
        client.get_connection_with_timeout(Duration::from_secs(1))
    }

    fn kill_nodes(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                servers::kill(&mut c);
            }
        }
        self.nodes.clear();
    }

    /// The masters' ports.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    /// `redis+cluster://…` (or `rediss+cluster://…`) naming every node as a seed.
    pub fn url(&self) -> String {
        let scheme = if self.certs.is_some() {
            "rediss+cluster"
        } else {
            "redis+cluster"
        };
        let seeds: Vec<String> = self
            .ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("{scheme}://{}", seeds.join(","))
    }

    /// A connection to one node (no redirects followed), for assertions.
    pub fn conn(&self, port: u16) -> redis::Connection {
        self.try_conn(port).expect("connect to a cluster node")
    }

    /// The port of the master that owns `key`'s slot.
    pub fn owner(&self, key: &str) -> u16 {
        let port = self.nodes[0].port;
        let mut c = self.conn(port);
        let slot: i64 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut c)
            .expect("CLUSTER KEYSLOT");
        let slots: Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query(&mut c)
            .expect("CLUSTER SLOTS");
        let Value::Array(ranges) = slots else {
            panic!("CLUSTER SLOTS answered {slots:?}");
        };
        for range in ranges {
            let Value::Array(parts) = range else { continue };
            let int = |v: &Value| match v {
                Value::Int(i) => *i,
                other => panic!("CLUSTER SLOTS field {other:?}"),
            };
            let (lo, hi) = (int(&parts[0]), int(&parts[1]));
            if (lo..=hi).contains(&slot) {
                let Value::Array(master) = &parts[2] else {
                    panic!("CLUSTER SLOTS master {:?}", parts[2]);
                };
                return int(&master[1]) as u16;
            }
        }
        panic!("no master owns slot {slot}");
    }

    /// The master holding the keys of queue `queue` (every key carries the `{queue}` tag).
    pub fn queue_owner(&self, queue: &str) -> u16 {
        self.owner(&format!("{{{queue}}}"))
    }

    /// `n` queue names (`<prefix>0`, `<prefix>1`, …) that sit on at least two masters
    /// (on all three when `n` ≥ 3, if the names allow it within a few hundred tries).
    pub fn spread_queues(&self, prefix: &str, n: usize) -> Vec<String> {
        let want_masters = n.min(MASTERS);
        let mut chosen: Vec<String> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        // First one queue per master, then fill up.
        for i in 0..500 {
            if seen.len() >= want_masters {
                break;
            }
            let q = format!("{prefix}{i}");
            if seen.insert(self.queue_owner(&q)) {
                chosen.push(q);
            }
        }
        let mut i = 0;
        while chosen.len() < n {
            let q = format!("{prefix}x{i}");
            i += 1;
            chosen.push(q);
        }
        assert!(seen.len() >= 2.min(n), "queues did not spread over masters");
        chosen
    }

    /// The keys matching `pattern` on one node.
    pub fn keys_on(&self, port: u16, pattern: &str) -> Vec<String> {
        redis::cmd("KEYS")
            .arg(pattern)
            .query(&mut self.conn(port))
            .expect("KEYS")
    }

    /// Every key under a namespace, over all nodes, sorted.
    pub fn keys(&self, ns: &str) -> Vec<String> {
        let mut all = Vec::new();
        for port in self.ports() {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{ns}:*"))
                .query(&mut self.conn(port))
                .expect("KEYS");
            all.extend(keys);
        }
        all.sort();
        all
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        self.kill_nodes();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
