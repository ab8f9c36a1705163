//! Where Redis is and how to reach it: one [`RedisTarget`] parsed from `--redis-url` and the
//! TLS files (`--redis-ca`, `--redis-cert`, `--redis-key`). It knows the six URL forms of
//! the spec (one server, Sentinel, Cluster; each plain or TLS) and builds the redis-rs
//! clients for them; it never connects by itself.
//!
//! Everything wrong with the URL or the files is an [`Error::Invalid`] (exit 2) found before
//! any connection is tried, so a typo never turns into a retry loop.

use std::fmt;
use std::time::Duration;

use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, TlsCertificates};

use super::tls::{TlsFiles, load_certificates};
use crate::error::{Error, Result};

/// Default port of a Redis server (also for cluster seeds).
const REDIS_PORT: u16 = 6379;
/// Default port of a Sentinel.
const SENTINEL_PORT: u16 = 26379;

/// How the Redis deployment is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topology {
    /// One server (`redis://`, `rediss://`).
    Single,
    /// Sentinels that name the current master of `master`.
    Sentinel { master: String },
    /// Seed nodes of a Redis Cluster.
    Cluster,
}

/// One `host:port` of the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where Redis is and how to talk to it. Its `Display` never shows the password.
#[derive(Clone)]
pub struct RedisTarget {
    pub topology: Topology,
    /// The server (Single), the sentinels (Sentinel) or the seeds (Cluster); never empty.
    pub nodes: Vec<Node>,
    /// Present for the `rediss` forms: the certificates to trust and to present.
    tls: Option<TlsCertificates>,
    username: Option<String>,
    password: Option<String>,
    /// Database number (Single and Sentinel; a cluster only has 0).
    pub db: i64,
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisTarget({self})")
    }
}

impl fmt::Display for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = match self.topology {
            Topology::Single => "redis",
            Topology::Sentinel { .. } => "redis+sentinel",
            Topology::Cluster => "redis+cluster",
        };
        let scheme = match (self.tls.is_some(), base) {
            (false, b) => b.to_string(),
            (true, "redis") => "rediss".to_string(),
            (true, b) => b.replacen("redis", "rediss", 1),
        };
        write!(f, "{scheme}://")?;
        match (&self.username, &self.password) {
            (Some(u), Some(_)) => write!(f, "{u}:***@")?,
            (None, Some(_)) => write!(f, ":***@")?,
            (Some(u), None) => write!(f, "{u}@")?,
            (None, None) => {}
        }
        let nodes: Vec<String> = self.nodes.iter().map(Node::to_string).collect();
        write!(f, "{}", nodes.join(","))?;
        if let Topology::Sentinel { master } = &self.topology {
            write!(f, "/{master}")?;
        }
        if self.db != 0 {
            write!(f, "/{}", self.db)?;
        }
        Ok(())
    }
}

impl RedisTarget {
    /// Parses one of the URL forms and reads the TLS files it needs.
    pub fn parse(url: &str, files: &TlsFiles) -> Result<Self> {
        let bad = |why: &str| Error::invalid(format!("invalid Redis URL {:?}: {why}", redact(url)));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("it needs a scheme such as redis:// or rediss://"))?;
        let (topology_kind, tls) = match scheme.to_ascii_lowercase().as_str() {
            "redis" => (Kind::Single, false),
            "rediss" => (Kind::Single, true),
            "redis+sentinel" => (Kind::Sentinel, false),
            "rediss+sentinel" => (Kind::Sentinel, true),
            "redis+cluster" => (Kind::Cluster, false),
            "rediss+cluster" => (Kind::Cluster, true),
            other => {
                return Err(bad(&format!(
                    "unknown scheme {other:?}; use redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://"
                )));
            }
        };
        if rest.contains('#') {
            return Err(bad(
                "a '#' fragment (such as #insecure) is not accepted: mlqd always verifies certificates; trust a private CA with --redis-ca",
            ));
        }
        if rest.contains('?') {
            return Err(bad("query parameters are not supported"));
        }
        // The credentials end at the last '@' (a password may hold '@' or '/' only
        // percent-encoded, but a raw '@' is common enough to be forgiving about).
        let (userinfo, location) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, pass) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let user = percent_decode(user).map_err(|e| bad(&e))?;
                let pass = pass.map(percent_decode).transpose().map_err(|e| bad(&e))?;
                (
                    (!user.is_empty()).then_some(user),
                    pass.filter(|p| !p.is_empty()),
                )
            }
        };
        let (authority, path) = match location.find('/') {
            Some(slash) => (&location[..slash], &location[slash + 1..]),
            None => (location, ""),
        };
        let default_port = match topology_kind {
            Kind::Sentinel => SENTINEL_PORT,
            _ => REDIS_PORT,
        };
        let nodes = authority
            .split(',')
            .map(|n| parse_node(n, default_port).map_err(|e| bad(&e)))
            .collect::<Result<Vec<Node>>>()?;
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let db_of = |s: &str| -> Result<i64> {
            s.parse::<i64>()
                .ok()
                .filter(|d| *d >= 0)
                .ok_or_else(|| bad(&format!("{s:?} is not a database number")))
        };
        let (topology, db) = match topology_kind {
            Kind::Single => {
                if nodes.len() > 1 {
                    return Err(bad(
                        "several hosts need redis+sentinel:// (sentinels) or redis+cluster:// (cluster seeds)",
                    ));
                }
                match segments.as_slice() {
                    [] => (Topology::Single, 0),
                    [db] => (Topology::Single, db_of(db)?),
                    _ => return Err(bad("the path may only name a database number, like /0")),
                }
            }
            Kind::Sentinel => match segments.as_slice() {
                [] => {
                    return Err(bad(
                        "it needs the master name the sentinels monitor, like redis+sentinel://host:26379/mymaster",
                    ));
                }
                [master] => (sentinel(master), 0),
                [master, db] => (sentinel(master), db_of(db)?),
                _ => return Err(bad("the path is /MASTER or /MASTER/DB")),
            },
            Kind::Cluster => match segments.as_slice() {
                [] => (Topology::Cluster, 0),
                [db] if db_of(db)? == 0 => (Topology::Cluster, 0),
                _ => return Err(bad("a Redis Cluster has only database 0; drop the path")),
            },
        };
        let tls = if tls {
            Some(load_certificates(files)?)
        } else if !files.is_empty() {
            return Err(Error::invalid(format!(
                "--redis-ca, --redis-cert and --redis-key need a TLS URL (rediss://, rediss+sentinel:// or rediss+cluster://), not {}",
                redact(url)
            )));
        } else {
            None
        };
        Ok(RedisTarget {
            topology,
            nodes,
            tls,
            username,
            password,
            db,
        })
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// How to reach one data node (the server, a master named by the sentinels, a cluster
    /// node), with the URL's credentials, database and TLS.
    pub fn connection_info(&self, host: &str, port: u16) -> ConnectionInfo {
        let addr = if self.tls.is_some() {
            ConnectionAddr::TcpTls {
                host: host.to_string(),
                port,
                insecure: false,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(host.to_string(), port)
        };
        let mut redis = redis::RedisConnectionInfo::default().set_db(self.db);
        if let Some(u) = &self.username {
            redis = redis.set_username(u);
        }
        if let Some(p) = &self.password {
            redis = redis.set_password(p);
        }
        // Nagle stays on (redis-rs's default), on purpose: with TCP_NODELAY the drain fell
        // from 47-77k to 20-29k jobs/s (Redis 23-35 µs per job, was 12-20), because Nagle's
        // coalescing of a worker's claim and complete writes is what keeps its calls big;
        // idle start latency did not move (issue 11 measurements).
        // A ConnectionAddr always converts.
        match addr.into_connection_info() {
            Ok(info) => info.set_redis_settings(redis),
            Err(_) => unreachable_info(),
        }
    }

    /// A client for one data node.
    pub fn client(&self, host: &str, port: u16) -> Result<redis::Client> {
        let info = self.connection_info(host, port);
        let client = match &self.tls {
            Some(certs) => redis::Client::build_with_tls(info, certs.clone()),
            None => redis::Client::open(info),
        };
        client.map_err(|e| Error::invalid(format!("cannot set up the Redis client: {e}")))
    }

    /// A client for the server of a Single target.
    pub fn single_client(&self) -> Result<redis::Client> {
        let n = &self.nodes[0];
        self.client(&n.host, n.port)
    }

    /// A Redis Cluster client over the seed nodes.
    pub fn cluster_client(&self, connect: Duration, response: Duration) -> Result<ClusterClient> {
        let seeds: Vec<ConnectionInfo> = self
            .nodes
            .iter()
            .map(|n| self.connection_info(&n.host, n.port))
            .collect();
        let mut b = ClusterClientBuilder::new(seeds)
            .connection_timeout(connect)
            .response_timeout(response)
            .retries(2);
        if let Some(certs) = &self.tls {
            b = b.certs(certs.clone());
        }
        b.build()
            .map_err(|e| Error::invalid(format!("cannot set up the Redis Cluster client: {e}")))
    }

    /// The master name a Sentinel target asks for.
    pub fn master_name(&self) -> Option<&str> {
        match &self.topology {
            Topology::Sentinel { master } => Some(master),
            _ => None,
        }
    }

    /// A client for one sentinel: TLS like the data nodes, no credentials (those belong to
    /// the data nodes; sentinels are usually open to the network the clients are on).
    pub fn sentinel_client(&self, node: &Node) -> Result<redis::Client> {
        let addr = if self.tls.is_some() {
            ConnectionAddr::TcpTls {
                host: node.host.clone(),
                port: node.port,
                insecure: false,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(node.host.clone(), node.port)
        };
        let client = match &self.tls {
            Some(certs) => redis::Client::build_with_tls(addr, certs.clone()),
            None => redis::Client::open(addr),
        };
        client.map_err(|e| Error::invalid(format!("cannot set up the Sentinel client: {e}")))
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Single,
    Sentinel,
    Cluster,
}

fn sentinel(master: &str) -> Topology {
    Topology::Sentinel {
        master: master.to_string(),
    }
}

// Never reached: converting a `ConnectionAddr` cannot fail. Kept apart so no `unwrap`
// stands in the code above.
fn unreachable_info() -> ConnectionInfo {
    ConnectionAddr::Tcp("127.0.0.1".into(), REDIS_PORT)
        .into_connection_info()
        .unwrap_or_else(|_| unreachable!("a ConnectionAddr converts"))
}

/// `host[:port]` or `[v6]:port`.
fn parse_node(s: &str, default_port: u16) -> std::result::Result<Node, String> {
    if s.is_empty() {
        return Err("a host is missing".into());
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{s:?} lacks the closing ']'"))?;
        match after {
            "" => (h, None),
            p => (
                h,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("{s:?} is not host:port"))?,
                ),
            ),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() || host.contains(['/', ' ', '[', ']']) {
        return Err(format!("{s:?} is not a host"));
    }
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{p:?} is not a port"))?,
    };
    Ok(Node {
        host: host.to_string(),
        port,
    })
}

fn percent_decode(s: &str) -> std::result::Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a '%' in the credentials is not followed by two hex digits")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the credentials are not UTF-8 once decoded".into())
}

/// The URL without its password, for messages about a URL that may not parse.
pub fn redact(url: &str) -> String {
    let Some(s) = url.find("://") else {
        return url.to_string();
    };
    match url.rfind('@') {
        Some(at) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests;
