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
    src.lines()
        .skip_while(|l| l.starts_with("#!"))
        .take_while(|l| l.starts_with("--"))
        .collect()
}

/// Scripts Redis runs even while out of memory: they free memory (deletes, trims) or
/// keep a live process looking alive (heartbeats, lease and leadership renewals).
const ALLOW_OOM: &[&str] = &[
    "heartbeat",
    "renew",
    "leader_acquire",
    "leader_renew",
    "leader_release",
    "dlq_purge",
    "schedule_rm",
    "worker_leave",
    "stream_tidy",
];

#[test]
fn every_script_declares_its_flags_so_redis_runs_it_whole_or_not_at_all() {
    for d in ALL {
        let (name, src) = (d.name(), d.source());
        let first = src.lines().next().unwrap_or_default();
        let read_only = header(src)
            .first()
            .is_some_and(|l| l.contains("(read only)"));
        let want = if read_only {
            "#!lua flags=no-writes"
        } else if ALLOW_OOM.contains(&name) {
            "#!lua flags=allow-oom"
        } else {
            // no flags: refused as a whole while Redis is out of memory
            "#!lua"
        };
        assert_eq!(first, want, "{name}: first line");
    }
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
        // this file (the unit tests) sits beside the scripts
        let Some(stem) = name.strip_suffix(".lua") else {
            continue;
        };
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
            .skip_while(|l| l.starts_with("--") || l.starts_with("#!"))
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
fn scripts_get_the_prelude_definitions_they_use_and_only_those() {
    let defs = definitions(PRELUDE);
    let names: Vec<&str> = defs.iter().flat_map(|(n, _)| n.iter().copied()).collect();
    for must in ["now_ms", "call_many", "PRIO_BAND", "push_pending"] {
        assert!(names.contains(&must), "{must} not found in {names:?}");
    }
    // every chunk is a definition, and together they are the prelude's definitions
    for (n, chunk) in &defs {
        assert!(!n.is_empty(), "a chunk without a name: {chunk}");
        assert!(chunk.lines().any(|l| l.starts_with("local ")), "{chunk}");
    }
    for d in ALL {
        let text = compose(PRELUDE, d.source());
        for (n, chunk) in &defs {
            let included = text.contains(chunk);
            let used = n
                .iter()
                .any(|name| mentions(&text, name) && !chunk_defines_only(chunk, name, &text));
            assert_eq!(
                included,
                used,
                "{}: {n:?} included {included}, used {used}",
                d.name()
            );
        }
        if let Some(first) = d.source().lines().next().filter(|l| l.starts_with("#!")) {
            assert_eq!(
                text.lines().next(),
                Some(first),
                "{}: flags must stay first",
                d.name()
            );
        }
    }
    // a script that needs nothing from the prelude gets none of it
    assert_eq!(compose(PRELUDE, "return 1\n"), "return 1\n");
    let flagged = compose(PRELUDE, "#!lua flags=no-writes\nreturn now_ms()\n");
    assert!(
        flagged.starts_with("#!lua flags=no-writes\nlocal function now_ms()"),
        "{flagged}"
    );
    assert!(!flagged.contains("call_many"));
}

/// True when the only mention of `name` in `text` is the definition in `chunk`.
fn chunk_defines_only(chunk: &str, name: &str, text: &str) -> bool {
    let elsewhere = text.replacen(chunk, "", 1);
    !mentions(&elsewhere, name)
}

#[test]
fn tail_keys_added_among_arguments_go_in_front_of_them() {
    let k = QueueKeys::sample();
    let args = |call: &mut Call<'_, QueueKeys>| -> Vec<String> {
        call.invocation()
            .cmd
            .args_iter()
            .map(|a| match a {
                redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                _ => "?".into(),
            })
            .collect()
    };
    // keys up front, then the arguments
    let mut early = COMPLETE.call_with(&k, ["a", "b"]);
    early.arg("w").arg("a").arg("b");
    // each item's key added with its arguments
    let mut late = COMPLETE.call(&k);
    late.arg("w").tail("a").arg("a").tail("b").arg("b");
    let (early, late) = (args(&mut early), args(&mut late));
    assert_eq!(early, late);
    assert_eq!(early[0], "EVALSHA");
    let fixed = COMPLETE.keys.len();
    assert_eq!(early[2], (fixed + 2).to_string());
    assert_eq!(early[3], k.active());
    assert_eq!(early[3 + fixed], k.done("a"));
    assert_eq!(early[4 + fixed], k.done("b"));
    assert_eq!(early[5 + fixed..], ["w", "a", "b"]);
    // a short call passes only the first keys
    let mut short = ENQUEUE.call_short(&k, 4);
    short.arg("x");
    assert_eq!(
        args(&mut short)[2..8],
        [
            "4".to_string(),
            k.pending(),
            k.specs(),
            k.stats(),
            k.wake(),
            "x".into()
        ]
    );
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
