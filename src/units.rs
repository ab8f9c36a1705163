//! Durations (`500ms`, `2s`, `5m`, `1h`, `1d`, combined as `1m30s`) and sizes (`16MiB`,
//! `512KiB`, `2MB`, plain bytes), written the same way in flags, query strings and config.

use std::time::Duration;

/// The longest duration mlqd takes anywhere (100 years): every delay, TTL and timeout
/// reaches Redis as milliseconds, and sums of them (now + delay, a TTL's deadline) must
/// stay integers Redis and its Lua accept.
pub const MAX_DURATION: Duration = Duration::from_secs(36_500 * 86_400);

/// Parses a duration such as `500ms`, `2s`, `1m30s` or `1h`. A bare number is seconds.
/// Anything over [`MAX_DURATION`] (100 years, `36500d`) is refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let total = parse_unbounded(text)?;
    if total > MAX_DURATION {
        return Err(format!("{text:?} is too long (the most is 36500d)"));
    }
    Ok(total)
}

fn parse_unbounded(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration; write it like 500ms, 2s, 5m or 1h".into());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{text:?} has a number without a unit (ms, s, m, h, d)"))?;
        if digits == 0 {
            return Err(format!(
                "{text:?} is not a duration; write it like 500ms, 2s, 5m or 1h"
            ));
        }
        let value: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?} has a malformed number"))?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let scale = match unit {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => {
                return Err(format!(
                    "{text:?} has an unknown unit {unit:?}; use ms, s, m, h or d"
                ));
            }
        };
        let secs = value * scale;
        if !secs.is_finite() || secs > MAX_DURATION.as_secs_f64() {
            return Err(format!("{text:?} is too long (the most is 36500d)"));
        }
        // each part is capped, and so is their sum (saturating: it is checked after)
        total = total.saturating_add(Duration::from_secs_f64(secs));
        rest = &after[unit_len..];
    }
    Ok(total)
}

/// Writes a duration the way `parse_duration` reads it (`250ms`, `3s`, `2m30s`).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if !ms.is_multiple_of(1000) || ms < 1000 {
        return format!("{ms}ms");
    }
    let mut secs = d.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if secs > 0 {
        out.push_str(&format!("{secs}s"));
    }
    out
}

/// Parses a size such as `16MiB`, `512KiB`, `2MB`, `1GiB` or plain bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    if split == 0 {
        return Err(format!(
            "{text:?} is not a size; write it like 16MiB, 512KiB or 1048576"
        ));
    }
    let value: f64 = s[..split]
        .parse()
        .map_err(|_| format!("{text:?} has a malformed number"))?;
    let scale: f64 = match s[split..].trim() {
        "" | "B" | "b" => 1.0,
        "K" | "KB" | "kB" | "k" => 1e3,
        "KiB" | "Ki" => 1024.0,
        "M" | "MB" => 1e6,
        "MiB" | "Mi" => 1024.0 * 1024.0,
        "G" | "GB" => 1e9,
        "GiB" | "Gi" => 1024.0 * 1024.0 * 1024.0,
        unit => {
            return Err(format!(
                "{text:?} has an unknown unit {unit:?}; use B, KiB, MiB, GiB, KB, MB or GB"
            ));
        }
    };
    let bytes = value * scale;
    if !bytes.is_finite() || bytes > u64::MAX as f64 {
        return Err(format!("{text:?} is too large"));
    }
    Ok(bytes.round() as u64)
}

/// Writes a byte count for people (`16.0 MiB`).
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// clap value parser for durations.
pub fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

/// clap value parser for sizes.
pub fn size_arg(text: &str) -> Result<u64, String> {
    parse_size(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("36500d").unwrap(), MAX_DURATION);
        assert!(parse_duration("36501d").is_err());
        assert!(parse_duration("36500d1ms").is_err());
        assert!(parse_duration(&"11574074d".repeat(9300)).is_err());
        assert!(parse_duration("18446744073709551615").is_err());
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
    }

    #[test]
    fn bad_durations_say_why() {
        for bad in ["", "abc", "5x", "ms", "1.2.3s"] {
            assert!(parse_duration(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn durations_round_trip() {
        for d in ["250ms", "3s", "2m30s", "1h", "1d1h"] {
            assert_eq!(format_duration(parse_duration(d).unwrap()), d);
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16MiB").unwrap(), 16 * 1024 * 1024);
        assert_eq!(parse_size("512KiB").unwrap(), 512 * 1024);
        assert_eq!(parse_size("2MB").unwrap(), 2_000_000);
        assert_eq!(parse_size("1048576").unwrap(), 1_048_576);
        assert!(parse_size("12parsecs").is_err());
        assert!(parse_size("").is_err());
        assert_eq!(format_size(16 * 1024 * 1024), "16.0 MiB");
    }
}
