//! The Lua scripts, one per state change, each declared once below: its name (the file
//! `scripts/<name>.lua`, so a misspelled name does not compile), the scope its keys come
//! from, its KEYS in order by role, and the role of its variadic tail if it has one. A
//! call is built from that declaration (`CLAIM.call(&queue_keys)` fills KEYS), and the
//! tests hold each declaration against its file's header. Each script runs with the parts
//! of the shared prelude it uses in front (see [`compose`]), loaded once per connection and
//! called by EVALSHA; redis-rs reloads a script on NOSCRIPT (after a Redis restart or
//! SCRIPT FLUSH).

use std::sync::OnceLock;

use redis::{Script, ToRedisArgs};

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
            .get_or_init(|| Script::new(&compose(PRELUDE, self.source)))
    }

    /// A call of this script with its fixed KEYS taken from `scope`.
    pub fn call<'s>(&'static self, scope: &'s S) -> Call<'s, S> {
        self.call_with(scope, std::iter::empty())
    }

    /// A call passing only the first `n` fixed KEYS, for a script whose header says that a
    /// call of a certain kind touches only those (enqueue.lua's one common job).
    pub fn call_short<'s>(&'static self, scope: &'s S, n: usize) -> Call<'s, S> {
        let script = self.script();
        let keys = &self.keys[..n.min(self.keys.len())];
        let mut cmd = redis::Cmd::with_capacity(keys.len() + 8, 48 * keys.len() + 256);
        cmd.arg("EVALSHA").arg(script.get_hash()).arg(keys.len());
        for (_, key) in keys {
            cmd.arg(key(scope));
        }
        Call {
            def: self,
            scope,
            inv: Invocation { cmd, script },
            keys: keys.len(),
            late: Vec::new(),
        }
    }

    /// A call with its fixed KEYS, then one tail key per item (e.g. `done:<ulid>` for a
    /// ulid), in ARGV order.
    pub fn call_with<'s, 'i>(
        &'static self,
        scope: &'s S,
        tail: impl IntoIterator<Item = &'i str>,
    ) -> Call<'s, S> {
        let script = self.script();
        let tail_keys: Vec<String> = match self.tail {
            Some((_, key)) => tail.into_iter().map(|item| key(scope, item)).collect(),
            None => {
                debug_assert!(
                    tail.into_iter().next().is_none(),
                    "{} takes no variadic keys",
                    self.name
                );
                Vec::new()
            }
        };
        // the command is written once, in place: EVALSHA, the hash, the KEYS, then each
        // argument as the caller adds it (no copy of the arguments on the way out)
        let n = self.keys.len() + tail_keys.len();
        // sized for the keys and a few arguments, so writing them seldom reallocates
        let mut cmd = redis::Cmd::with_capacity(n + 8, 48 * n + 256);
        cmd.arg("EVALSHA").arg(script.get_hash()).arg(n);
        for (_, key) in self.keys {
            cmd.arg(key(scope));
        }
        for key in &tail_keys {
            cmd.arg(key.as_str());
        }
        Call {
            def: self,
            scope,
            inv: Invocation { cmd, script },
            keys: n,
            late: Vec::new(),
        }
    }
}

/// A script call ready to send: its EVALSHA command, and the script to load when Redis
/// answers NOSCRIPT (after a restart or SCRIPT FLUSH).
pub(crate) struct Invocation {
    pub cmd: redis::Cmd,
    pub script: &'static Script,
}

/// A script call being built: KEYS from the declaration, then ARGV. The command is
/// written in place as arguments come; a tail key added after arguments (a call that
/// adds each item's key and arguments together) makes [`Call::invocation`] rewrite it once
/// with every key in front.
pub(crate) struct Call<'s, S: 'static> {
    def: &'static ScriptDef<S>,
    scope: &'s S,
    inv: Invocation,
    /// Keys in the command so far (fixed and tail).
    keys: usize,
    /// Tail keys added after the command's arguments began.
    late: Vec<String>,
}

impl<S> Call<'_, S> {
    pub fn arg<T: ToRedisArgs>(&mut self, arg: T) -> &mut Self {
        self.inv.cmd.arg(arg);
        self
    }

    /// Adds the tail key of one item (e.g. `done:<ulid>` for a ulid), in ARGV order.
    pub fn tail(&mut self, item: &str) -> &mut Self {
        match self.def.tail {
            Some((_, key)) => self.late.push(key(self.scope, item)),
            None => debug_assert!(false, "{} takes no variadic keys", self.def.name),
        }
        self
    }

    /// The call, ready to send, owned.
    pub fn into_invocation(mut self) -> Invocation {
        self.invocation();
        self.inv
    }

    /// The call, ready to send.
    pub fn invocation(&mut self) -> &Invocation {
        if !self.late.is_empty() {
            let late = std::mem::take(&mut self.late);
            let old = std::mem::replace(&mut self.inv.cmd, redis::Cmd::new());
            // EVALSHA, the hash, the key count, the keys so far, then the arguments
            let mut args = old.args_iter().map(|a| match a {
                redis::Arg::Simple(bytes) => bytes,
                _ => &b"0"[..], // a cursor: never in a script call
            });
            let cmd = &mut self.inv.cmd;
            cmd.arg(args.next().unwrap_or(b"EVALSHA"))
                .arg(args.next().unwrap_or_default());
            args.next();
            cmd.arg(self.keys + late.len());
            for key in args.by_ref().take(self.keys) {
                cmd.arg(key);
            }
            for key in &late {
                cmd.arg(key.as_str());
            }
            for a in args {
                cmd.arg(a);
            }
            self.keys += late.len();
        }
        &self.inv
    }
}

/// The script as Redis runs it: the prelude's definitions the script uses (directly or
/// through another definition), in the prelude's order, then the script. Every call runs
/// its whole text, and each `local function` of it makes a closure: the full prelude cost
/// about 4 µs of Redis CPU per call, most scripts use a few of its helpers. A first line
/// `#!lua …` (script flags) stays first.
pub(crate) fn compose(prelude: &str, source: &str) -> String {
    let (shebang, body) = match source.strip_prefix("#!") {
        Some(rest) => {
            let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
            (&source[..end + 2], &rest[end..])
        }
        None => ("", source),
    };
    let defs = definitions(prelude);
    let mut used = vec![false; defs.len()];
    // the body may use any definition; a definition only those before it
    let mut pending = vec![body];
    while let Some(text) = pending.pop() {
        for (i, (names, chunk)) in defs.iter().enumerate() {
            if !used[i] && names.iter().any(|n| mentions(text, n)) {
                used[i] = true;
                pending.push(chunk);
            }
        }
    }
    let mut out = String::with_capacity(prelude.len() + source.len());
    out.push_str(shebang);
    for ((_, chunk), keep) in defs.iter().zip(&used) {
        if *keep {
            out.push_str(chunk);
        }
    }
    out.push_str(body);
    out
}

/// The prelude cut into its top-level definitions (`local function f(`, `local A, B =`),
/// each with the comment lines above it, and the names it defines. Text before the first
/// definition (the file's header comment) is dropped.
fn definitions(prelude: &str) -> Vec<(Vec<&str>, &str)> {
    let mut out: Vec<(Vec<&str>, &str)> = Vec::new();
    let mut start = None; // where the current chunk's leading comments begin
    let mut open: Option<(Vec<&str>, usize)> = None;
    let mut offset = 0;
    for line in prelude.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        if let Some(rest) = line.strip_prefix("local ") {
            let begin = start.take().unwrap_or(at);
            if let Some((names, from)) = open.take() {
                out.push((names, &prelude[from..begin]));
            }
            let head = rest.strip_prefix("function ").unwrap_or(rest);
            let names = head
                .split(['(', '='])
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect();
            open = Some((names, begin));
        } else if line.starts_with("--") || line.trim().is_empty() {
            if open.is_some() && start.is_none() && line.starts_with("--") {
                start = Some(at);
            }
        } else {
            // a line inside a definition: comments above it were not leading ones
            start = None;
        }
    }
    if let Some((names, from)) = open {
        out.push((names, &prelude[from..]));
    }
    out
}

/// Whether `text` uses the name `name` as a whole identifier.
fn mentions(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
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
        [pending, specs, stats, wake, prio, seq, scheduled, retry, payloads] + idem;
    CLAIM: QueueKeys = claim [
        pending, prio, seq, scheduled, retry, active, specs, payloads, meta, dead, stats,
        paused, wake, tidied, notify, limits, starts,
    ];
    RENEW: QueueKeys = renew [active, meta];
    RECALL: QueueKeys = recall [active, specs, payloads, meta];
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
        [active, pending, prio, seq, specs, payloads, meta, dead, stats, wake, notify, starts];
    PROMOTE: QueueKeys = promote [scheduled, retry, pending, prio, seq, specs, wake];
    STATUS: JobKeys = status [done, specs, meta, active, scheduled, retry, dead];
    DLQ_LIST: QueueKeys = dlq_list [dead, specs, meta];
    BROWSE: QueueKeys = browse [
        pending, prio, scheduled, retry, active, dead, specs, meta, recent_succeeded,
        recent_cancelled, stats,
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
        stats,
    ];
    SWEEP_SCAN: QueueKeys = sweep_scan
        [pending, prio, scheduled, retry, active, dead, specs, meta];
    STREAM_APPEND: QueueKeys = stream_append [active, meta, streams] + stream;
    STREAM_READ: JobKeys = stream_read
        [stream, done, specs, meta, active, scheduled, retry, dead];
    STREAM_TIDY: JobKeys = stream_tidy [streams, specs, done, stream];
}

#[cfg(test)]
pub(crate) mod tests;
