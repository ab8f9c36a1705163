//! Reading `INFO` replies (`name:value` lines): top, bench and the dashboard's overview
//! take numbers from them; a cluster's masters' replies are merged into one first.

use std::collections::BTreeMap;

/// A field of `INFO` text (`name:value` lines).
pub fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == name).then(|| v.trim().to_string())
    })
}

/// What the Redis deployment says about itself, as one reading (the dashboard's overview
/// shows it).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RedisInfo {
    pub version: Option<String>,
    /// `used_memory`, bytes.
    pub used_memory: Option<u64>,
    /// `maxmemory`, bytes (0 = no limit).
    pub maxmemory: Option<u64>,
    pub connected_clients: Option<u64>,
    /// `instantaneous_ops_per_sec`.
    pub ops_per_sec: Option<u64>,
}

impl RedisInfo {
    /// The fields of one `INFO` text (a single server's, or several merged into one).
    pub fn from_info(info: &str) -> Self {
        RedisInfo {
            version: info_field(info, "redis_version"),
            used_memory: info_number(info, "used_memory"),
            maxmemory: info_number(info, "maxmemory"),
            connected_clients: info_number(info, "connected_clients"),
            ops_per_sec: info_number(info, "instantaneous_ops_per_sec"),
        }
    }
}

impl super::Broker {
    /// The deployment's memory, clients and load as one reading, from [`Self::info`]: a
    /// single server's `INFO`, or, where the connection reads several masters (a Redis
    /// Cluster), their numbers summed (memory, clients, ops/s; maxmemory adds up to the
    /// capacity). Whatever shows "Redis" as a whole asks this, never one node.
    pub async fn redis_info(&self) -> crate::error::Result<RedisInfo> {
        Ok(RedisInfo::from_info(&self.info("default").await?))
    }
}

/// True for Redis 7.0 and newer (a version mlqd's scripts load on).
pub fn supported_version(version: &str) -> bool {
    version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse::<u32>().ok())
        .is_none_or(|major| major >= 7)
}

/// A numeric field of `INFO` text.
pub fn info_number<T: std::str::FromStr>(info: &str, name: &str) -> Option<T> {
    info_field(info, name)?.parse().ok()
}

/// Several INFO texts as one: numbers are summed (memory, clients, ops, CPU seconds…),
/// `*_enabled` flags keep their smallest value (on only when on everywhere), any other text
/// is the first node's (version, mode…). Field order follows the first text.
pub(crate) fn merge_info(texts: &[String]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    for text in texts {
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            match merged.get_mut(k) {
                None => {
                    order.push(k.to_string());
                    merged.insert(k.to_string(), v.to_string());
                }
                Some(old) => {
                    if let Some(new) = combine(k, old, v) {
                        *old = new;
                    }
                }
            }
        }
    }
    let mut out = String::new();
    for k in order {
        if let Some(v) = merged.get(&k) {
            out.push_str(&k);
            out.push(':');
            out.push_str(v);
            out.push_str("\r\n");
        }
    }
    out
}

fn combine(key: &str, old: &str, new: &str) -> Option<String> {
    if let (Ok(a), Ok(b)) = (old.parse::<i64>(), new.parse::<i64>()) {
        return Some(
            if key.ends_with("_enabled") {
                a.min(b)
            } else {
                a + b
            }
            .to_string(),
        );
    }
    if let (Ok(a), Ok(b)) = (old.parse::<f64>(), new.parse::<f64>()) {
        return Some(format!("{:.6}", a + b));
    }
    None
}

impl super::Broker {
    /// The largest argument the server holding `queue` accepts (`proto-max-bulk-len`), or
    /// None when it does not say (CONFIG renamed or disabled, as managed services do).
    /// A larger one makes Redis close the connection, so an outcome is checked first.
    pub async fn max_bulk_len(
        &self,
        queue: &crate::job::QueueName,
    ) -> crate::error::Result<Option<u64>> {
        let mut cmd = redis::cmd("CONFIG");
        cmd.arg("GET").arg("proto-max-bulk-len");
        let key = self.keys.queue(queue).pending();
        match self.conn.query_near::<Vec<String>>(&key, &cmd).await {
            Ok(pair) => Ok(pair.get(1).and_then(|v| v.parse().ok())),
            Err(e) if e.is_transient() => Err(e),
            Err(_) => Ok(None),
        }
    }
}

impl super::Broker {
    /// True while some master is over its `maxmemory`: Redis refuses writes then (scripts
    /// without `allow-oom` as a whole), so a silence is no sign of a dead worker.
    pub async fn out_of_memory(&self) -> crate::error::Result<bool> {
        let mut cmd = redis::cmd("INFO");
        cmd.arg("memory");
        let texts: Vec<String> = self.conn.query_each(&cmd).await?;
        Ok(texts.iter().any(|t| {
            let used: u64 = info_number(t, "used_memory").unwrap_or(0);
            let max: u64 = info_number(t, "maxmemory").unwrap_or(0);
            max > 0 && used >= max
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redis_7_and_newer_are_supported() {
        for v in ["7.0.15", "7.2.4", "8.0.0", "10.1"] {
            assert!(super::supported_version(v), "{v}");
        }
        for v in ["6.2.14", "5.0.7"] {
            assert!(!super::supported_version(v), "{v}");
        }
    }

    use super::*;

    #[test]
    fn a_reading_takes_the_overview_fields() {
        let info = "# Server\r\nredis_version:7.0.15\r\n# Clients\r\nconnected_clients:4\r\n# Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\n# Stats\r\ninstantaneous_ops_per_sec:12\r\n";
        let r = RedisInfo::from_info(info);
        assert_eq!(r.version.as_deref(), Some("7.0.15"));
        assert_eq!(r.used_memory, Some(1_048_576));
        assert_eq!(r.maxmemory, Some(0));
        assert_eq!(r.connected_clients, Some(4));
        assert_eq!(r.ops_per_sec, Some(12));
        assert_eq!(RedisInfo::from_info(""), RedisInfo::default());
    }

    #[test]
    fn reads_info_fields() {
        let info = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n";
        assert_eq!(info_number::<u64>(info, "used_memory"), Some(1_048_576));
        assert_eq!(
            info_field(info, "used_memory_human").as_deref(),
            Some("1.00M")
        );
        assert_eq!(info_field(info, "used_memory_peak"), None);
    }

    #[test]
    fn info_sums_numbers_and_keeps_text() {
        let a = "# Memory\r\nused_memory:100\r\nused_memory_human:100B\r\nused_cpu_sys:1.5\r\naof_enabled:1\r\nredis_version:7.0.15\r\n".to_string();
        let b = "# Memory\r\nused_memory:250\r\nused_memory_human:250B\r\nused_cpu_sys:2.25\r\naof_enabled:0\r\nredis_version:7.0.15\r\n".to_string();
        let m = merge_info(&[a, b]);
        assert!(m.contains("used_memory:350\r\n"), "{m}");
        assert!(m.contains("used_cpu_sys:3.750000\r\n"), "{m}");
        assert!(m.contains("aof_enabled:0\r\n"), "{m}");
        assert!(m.contains("redis_version:7.0.15\r\n"), "{m}");
        assert!(m.contains("used_memory_human:100B\r\n"), "{m}");
        assert!(m.starts_with("used_memory:"), "{m}");
    }
}
