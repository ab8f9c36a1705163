//! Reading `INFO` replies (`name:value` lines): top, bench and the dashboard's overview
//! take numbers from them.

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

/// A numeric field of `INFO` text.
pub fn info_number<T: std::str::FromStr>(info: &str, name: &str) -> Option<T> {
    info_field(info, name)?.parse().ok()
}

#[cfg(test)]
mod tests {
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
}
