//! The Lua scripts, one per state change, each with the shared prelude in front. Loaded
//! once per connection and called by EVALSHA; redis-rs reloads a script on NOSCRIPT (after
//! a Redis restart or SCRIPT FLUSH).

use std::sync::LazyLock;

use redis::Script;

const PRELUDE: &str = include_str!("scripts/prelude.lua");

/// (name, source) of every script file; the test below checks each one's header.
pub(crate) const SOURCES: &[(&str, &str)] = &[
    ("enqueue", include_str!("scripts/enqueue.lua")),
    ("claim", include_str!("scripts/claim.lua")),
    ("renew", include_str!("scripts/renew.lua")),
    ("complete", include_str!("scripts/complete.lua")),
    ("fail", include_str!("scripts/fail.lua")),
    ("handback", include_str!("scripts/handback.lua")),
    ("progress", include_str!("scripts/progress.lua")),
    ("cancel", include_str!("scripts/cancel.lua")),
    ("recover", include_str!("scripts/recover.lua")),
    ("promote", include_str!("scripts/promote.lua")),
    ("status", include_str!("scripts/status.lua")),
    ("dlq_list", include_str!("scripts/dlq_list.lua")),
    ("dlq_requeue", include_str!("scripts/dlq_requeue.lua")),
    ("dlq_purge", include_str!("scripts/dlq_purge.lua")),
    ("heartbeat", include_str!("scripts/heartbeat.lua")),
    ("worker_leave", include_str!("scripts/worker_leave.lua")),
    ("leader_acquire", include_str!("scripts/leader_acquire.lua")),
    ("leader_renew", include_str!("scripts/leader_renew.lua")),
    ("leader_release", include_str!("scripts/leader_release.lua")),
    ("sweep", include_str!("scripts/sweep.lua")),
    ("sweep_scan", include_str!("scripts/sweep_scan.lua")),
];

pub(crate) struct Scripts {
    pub enqueue: Script,
    pub claim: Script,
    pub renew: Script,
    pub complete: Script,
    pub fail: Script,
    pub handback: Script,
    pub progress: Script,
    pub cancel: Script,
    pub recover: Script,
    pub promote: Script,
    pub status: Script,
    pub dlq_list: Script,
    pub dlq_requeue: Script,
    pub dlq_purge: Script,
    pub heartbeat: Script,
    pub worker_leave: Script,
    pub leader_acquire: Script,
    pub leader_renew: Script,
    pub leader_release: Script,
    pub sweep: Script,
    pub sweep_scan: Script,
}

fn build(name: &str) -> Script {
    let body = SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_default();
    Script::new(&format!("{PRELUDE}\n{body}"))
}

pub(crate) static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    enqueue: build("enqueue"),
    claim: build("claim"),
    renew: build("renew"),
    complete: build("complete"),
    fail: build("fail"),
    handback: build("handback"),
    progress: build("progress"),
    cancel: build("cancel"),
    recover: build("recover"),
    promote: build("promote"),
    status: build("status"),
    dlq_list: build("dlq_list"),
    dlq_requeue: build("dlq_requeue"),
    dlq_purge: build("dlq_purge"),
    heartbeat: build("heartbeat"),
    worker_leave: build("worker_leave"),
    leader_acquire: build("leader_acquire"),
    leader_renew: build("leader_renew"),
    leader_release: build("leader_release"),
    sweep: build("sweep"),
    sweep_scan: build("sweep_scan"),
});

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers n in `KEYS[n]` that a text mentions.
    fn key_indexes(text: &str) -> Vec<usize> {
        text.match_indices("KEYS[")
            .filter_map(|(i, _)| {
                let rest = &text[i + 5..];
                let end = rest.find(|c: char| !c.is_ascii_digit())?;
                rest[..end].parse().ok()
            })
            .collect()
    }

    #[test]
    fn every_script_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/broker/scripts");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let stem = name.trim_end_matches(".lua");
            if stem == "prelude" {
                continue;
            }
            assert!(
                SOURCES.iter().any(|(n, _)| *n == stem),
                "{name} is not in SOURCES"
            );
        }
    }

    #[test]
    fn every_script_declares_the_keys_it_uses() {
        for (name, src) in SOURCES {
            let header: String = src
                .lines()
                .take_while(|l| l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            let body: String = src
                .lines()
                .skip_while(|l| l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                header.starts_with(&format!("-- {name}.lua")),
                "{name}: header must start with its name"
            );
            let declared = key_indexes(&header);
            assert!(!declared.is_empty(), "{name}: no KEYS in the header");
            let variadic = header.contains("..]");
            let max_declared = *declared.iter().max().unwrap();
            // declared keys are numbered 1..=max without gaps
            for i in 1..=max_declared {
                assert!(declared.contains(&i), "{name}: KEYS[{i}] not declared");
            }
            for used in key_indexes(&body) {
                assert!(
                    used <= max_declared,
                    "{name}: uses KEYS[{used}] but declares {max_declared}"
                );
            }
            if !variadic {
                // every declared key is used
                for i in 1..=max_declared {
                    assert!(
                        key_indexes(&body).contains(&i),
                        "{name}: declares KEYS[{i}] but never uses it"
                    );
                }
            }
            assert!(
                header.contains("ARGV"),
                "{name}: header says nothing of ARGV"
            );
            assert!(
                header.contains("Returns"),
                "{name}: header says nothing of its reply"
            );
        }
    }

    #[test]
    fn prelude_builds_no_keys() {
        // helpers receive key names; none may concatenate a key together
        for line in PRELUDE
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
        {
            assert!(!line.contains("KEYS["), "prelude reads KEYS: {line}");
            assert!(!line.contains(":{"), "prelude builds a key: {line}");
        }
    }
}
