//! The Lua scripts, one per state change, each declared once below: its name (the file
//! `scripts/<name>.lua`, so a misspelled name does not compile), the scope its keys come
//! from, its KEYS in order by role, and the role of its variadic tail if it has one. A
//! call is built from that declaration (`CLAIM.call(&queue_keys)` fills KEYS), and the
//! tests hold each declaration against its file's header. Each script runs with the shared
//! prelude in front, loaded once per connection and called by EVALSHA; redis-rs reloads a
//! script on NOSCRIPT (after a Redis restart or SCRIPT FLUSH).

use std::sync::OnceLock;

use redis::{Script, ScriptInvocation, ToRedisArgs};

use super::keys::{JobKeys, Keys, QueueKeys, ScheduleKeys, WorkerKeys};

const PRELUDE: &str = include_str!("scripts/prelude.lua");

/// Builds one key of a script from its scope.
type KeyFn<S> = fn(&S) -> String;
/// Builds one key of a variadic tail from its scope and the item (a ulid, an id…).
type TailFn<S> = fn(&S, &str) -> String;

/// One script, as its Lua header declares it.
pub(crate) struct ScriptDef<S: 'static> {
    pub name: &'static str,
    source: &'static str,
    /// The fixed KEYS, in order: role name and how the scope builds the key.
    keys: &'static [(&'static str, KeyFn<S>)],
    /// KEYS after the fixed ones, one per item of the call.
    tail: Option<(&'static str, TailFn<S>)>,
    compiled: OnceLock<Script>,
}

impl<S> ScriptDef<S> {
    fn script(&'static self) -> &'static Script {
        self.compiled
            .get_or_init(|| Script::new(&format!("{PRELUDE}\n{}", self.source)))
    }

    /// A call of this script with its fixed KEYS taken from `scope`.
    pub fn call<'s>(&'static self, scope: &'s S) -> Call<'s, S> {
        let mut inv = self.script().prepare_invoke();
        for (_, key) in self.keys {
            inv.key(key(scope));
        }
        Call {
            def: self,
            scope,
            inv,
        }
    }
}

/// A script call being built: KEYS from the declaration, then ARGV and tail keys.
pub(crate) struct Call<'s, S: 'static> {
    def: &'static ScriptDef<S>,
    scope: &'s S,
    inv: ScriptInvocation<'static>,
}

impl<S> Call<'_, S> {
    pub fn arg<T: ToRedisArgs>(&mut self, arg: T) -> &mut Self {
        self.inv.arg(arg);
        self
    }

    /// Adds the tail key of one item (e.g. `done:<ulid>` for a ulid), in ARGV order.
    pub fn tail(&mut self, item: &str) -> &mut Self {
        match self.def.tail {
            Some((_, key)) => {
                self.inv.key(key(self.scope, item));
            }
            None => debug_assert!(false, "{} takes no variadic keys", self.def.name),
        }
        self
    }

    pub fn invocation(&self) -> &ScriptInvocation<'static> {
        &self.inv
    }
}

/// Declares every script: `NAME: Scope = file [fixed roles] + tail role;`. Each role is a
/// method of the scope that builds the key (`QueueKeys::pending`…).
macro_rules! scripts {
    ($($(#[$doc:meta])* $id:ident: $scope:ty = $name:ident [$($role:ident),* $(,)?] $(+ $tail:ident)?;)*) => {
        $(
            $(#[$doc])*
            pub(crate) static $id: ScriptDef<$scope> = ScriptDef {
                name: stringify!($name),
                source: include_str!(concat!("scripts/", stringify!($name), ".lua")),
                keys: &[$((stringify!($role), |s: &$scope| s.$role())),*],
                tail: scripts!(@tail $scope $(, $tail)?),
                compiled: OnceLock::new(),
            };
        )*
        /// Every script, for the tests.
        #[cfg(test)]
        pub(crate) static ALL: &[&(dyn tests::Declared + Sync)] = &[$(&$id),*];
    };
    (@tail $scope:ty) => { None };
    (@tail $scope:ty, $tail:ident) => {
        Some((stringify!($tail), |s: &$scope, item: &str| s.$tail(item)))
    };
}

scripts! {
    ENQUEUE: QueueKeys = enqueue
        [pending, prio, seq, scheduled, retry, specs, payloads, stats, wake] + idem;
    CLAIM: QueueKeys = claim [
        pending, prio, seq, scheduled, retry, active, specs, payloads, meta, dead, stats,
        paused, wake, tidied, notify, limits,
    ];
    RENEW: QueueKeys = renew [active, meta];
    LIMITS: QueueKeys = limits [limits, wake];
    COMPLETE: QueueKeys = complete
        [active, specs, payloads, meta, stats, limits, wake, recent_succeeded] + done;
    FAIL: QueueKeys = fail [active, retry, dead, specs, payloads, meta, stats, wake, limits];
    HANDBACK: QueueKeys = handback [active, pending, prio, seq, specs, meta, wake];
    PROGRESS: QueueKeys = progress [active, meta];
    CANCEL: JobKeys = cancel [
        pending, prio, scheduled, retry, active, dead, specs, payloads, meta, stats, done,
        notify, recent_cancelled,
    ];
    RECOVER: QueueKeys = recover
        [active, pending, prio, seq, specs, payloads, meta, dead, stats, wake, notify];
    PROMOTE: QueueKeys = promote [scheduled, retry, pending, prio, seq, specs, wake];
    STATUS: JobKeys = status [done, specs, meta, active, scheduled, retry, dead];
    DLQ_LIST: QueueKeys = dlq_list [dead, specs, meta];
    BROWSE: QueueKeys = browse [
        pending, prio, scheduled, retry, active, dead, specs, meta, recent_succeeded,
        recent_cancelled,
    ];
    READ_DONE: QueueKeys = read_done [] + done;
    DLQ_REQUEUE: QueueKeys = dlq_requeue [dead, pending, prio, seq, specs, meta, stats, wake];
    DLQ_PURGE: QueueKeys = dlq_purge [dead, specs, payloads, meta];
    HEARTBEAT: WorkerKeys = heartbeat [workers, worker];
    WORKER_LEAVE: Keys = worker_leave [workers] + worker;
    LEADER_ACQUIRE: Keys = leader_acquire [leader];
    LEADER_RENEW: Keys = leader_renew [leader];
    LEADER_RELEASE: Keys = leader_release [leader];
    SCHEDULE_SET: ScheduleKeys = schedule_set [defs, next, runs];
    SCHEDULE_RM: ScheduleKeys = schedule_rm [defs, next, runs];
    SCHEDULE_ADVANCE: ScheduleKeys = schedule_advance [defs, next, runs];
    SWEEP: QueueKeys = sweep [
        pending, prio, seq, scheduled, retry, active, dead, specs, payloads, meta, wake,
    ];
    SWEEP_SCAN: QueueKeys = sweep_scan
        [pending, prio, scheduled, retry, active, dead, specs, meta];
    STREAM_APPEND: QueueKeys = stream_append [active, meta, streams] + stream;
    STREAM_READ: JobKeys = stream_read
        [stream, done, specs, meta, active, scheduled, retry, dead];
    STREAM_TIDY: JobKeys = stream_tidy [streams, specs, done, stream];
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::broker::keys::slot_tag;
    use crate::job::QueueName;

    /// A scope with sample values, to build a script's keys in a test.
    pub trait Sample {
        fn sample() -> Self;
    }

    fn sample_keys() -> Keys {
        Keys::new("mlqd").unwrap()
    }

    impl Sample for QueueKeys {
        fn sample() -> Self {
            sample_keys().queue(&QueueName::new("predict").unwrap())
        }
    }

    impl Sample for JobKeys {
        fn sample() -> Self {
            QueueKeys::sample().job("01ARZ3NDEKTSV4RRFFQ69G5FAV")
        }
    }

    impl Sample for Keys {
        fn sample() -> Self {
            sample_keys()
        }
    }

    impl Sample for ScheduleKeys {
        fn sample() -> Self {
            sample_keys().schedules()
        }
    }

    impl Sample for WorkerKeys {
        fn sample() -> Self {
            sample_keys().registry("host-42-abc")
        }
    }

    /// What a declaration says, without its scope type.
    pub trait Declared {
        fn name(&self) -> &'static str;
        fn source(&self) -> &'static str;
        fn roles(&self) -> Vec<&'static str>;
        fn tail_role(&self) -> Option<&'static str>;
        /// The keys a call with two tail items would send.
        fn sample_keys(&self) -> Vec<String>;
    }

    impl<S: Sample> Declared for ScriptDef<S> {
        fn name(&self) -> &'static str {
            self.name
        }
        fn source(&self) -> &'static str {
            self.source
        }
        fn roles(&self) -> Vec<&'static str> {
            self.keys.iter().map(|(r, _)| *r).collect()
        }
        fn tail_role(&self) -> Option<&'static str> {
            self.tail.map(|(r, _)| r)
        }
        fn sample_keys(&self) -> Vec<String> {
            let scope = S::sample();
            let mut keys: Vec<String> = self.keys.iter().map(|(_, k)| k(&scope)).collect();
            if let Some((_, tail)) = self.tail {
                keys.push(tail(&scope, "01ARZ3NDEKTSV4RRFFQ69G5FAV"));
                keys.push(tail(&scope, "k{with}braces"));
            }
            keys
        }
    }

    fn header(src: &str) -> Vec<&str> {
        src.lines().take_while(|l| l.starts_with("--")).collect()
    }

    /// The `-- KEYS[n] role …` lines of a header: (n, variadic, role). A role written
    /// `done:<ulid>` is the role `done`.
    fn header_keys(src: &str) -> Vec<(usize, bool, String)> {
        header(src)
            .iter()
            .filter_map(|l| {
                let rest = l
                    .trim_start_matches('-')
                    .trim_start()
                    .strip_prefix("KEYS[")?;
                let close = rest.find(']')?;
                let (index, variadic) = match rest[..close].strip_suffix("..") {
                    Some(n) => (n, true),
                    None => (&rest[..close], false),
                };
                let role = rest[close + 1..].split_whitespace().next()?;
                let role = role.split(':').next()?.to_string();
                Some((index.parse().ok()?, variadic, role))
            })
            .collect()
    }

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
    fn every_script_file_is_declared_once() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/broker/scripts");
        let mut files = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let stem = name.trim_end_matches(".lua");
            if stem == "prelude" {
                continue;
            }
            files += 1;
            let n = ALL.iter().filter(|d| d.name() == stem).count();
            assert_eq!(n, 1, "{name} is declared {n} times");
        }
        assert_eq!(files, ALL.len());
    }

    #[test]
    fn declared_keys_match_each_header_in_order() {
        for d in ALL {
            let name = d.name();
            let declared = header_keys(d.source());
            let fixed: Vec<&str> = declared
                .iter()
                .filter(|(_, v, _)| !v)
                .map(|(_, _, r)| r.as_str())
                .collect();
            assert_eq!(
                fixed,
                d.roles(),
                "{name}: KEYS roles differ from the header"
            );
            for (i, (n, _, _)) in declared.iter().enumerate() {
                assert_eq!(*n, i + 1, "{name}: KEYS numbered out of order");
            }
            let tail = declared
                .iter()
                .find(|(_, v, _)| *v)
                .map(|(_, _, r)| r.as_str());
            assert_eq!(tail, d.tail_role(), "{name}: variadic KEYS differ");
        }
    }

    #[test]
    fn every_script_declares_the_keys_it_uses() {
        for d in ALL {
            let (name, src) = (d.name(), d.source());
            let head = header(src).join("\n");
            let body: String = src
                .lines()
                .skip_while(|l| l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                head.starts_with(&format!("-- {name}.lua")),
                "{name}: header must start with its name"
            );
            let fixed = d.roles().len();
            for used in key_indexes(&body) {
                assert!(
                    used <= fixed || d.tail_role().is_some(),
                    "{name}: uses KEYS[{used}] but declares {fixed}"
                );
            }
            if d.tail_role().is_none() {
                for i in 1..=fixed {
                    assert!(
                        key_indexes(&body).contains(&i),
                        "{name}: declares KEYS[{i}] but never uses it"
                    );
                }
            }
            assert!(head.contains("ARGV"), "{name}: header says nothing of ARGV");
            assert!(
                head.contains("Returns"),
                "{name}: header says nothing of its reply"
            );
        }
    }

    #[test]
    fn every_scripts_keys_share_one_hash_slot() {
        for d in ALL {
            let keys = d.sample_keys();
            let tags: std::collections::BTreeSet<&str> = keys.iter().map(|k| slot_tag(k)).collect();
            assert_eq!(
                tags.len(),
                1,
                "{}: keys on several slots: {keys:?}",
                d.name()
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
