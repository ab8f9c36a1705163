//! Reading `INFO` replies (`name:value` lines): top, bench and the dashboard's overview
//! take numbers from them.

/// A field of `INFO` text (`name:value` lines).
pub fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == name).then(|| v.trim().to_string())
    })
}

/// A numeric field of `INFO` text.
pub fn info_number<T: std::str::FromStr>(info: &str, name: &str) -> Option<T> {
    info_field(info, name)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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
