//! `mlqd man`: manual pages generated from the clap definition: `mlqd.1` on stdout, or,
//! with `--dir`, `mlqd.1` and one page per subcommand (`mlqd-post.1`, `mlqd-dlq-list.1`…),
//! as kept in `man/`. clap_mangen writes NAME to VERSION; EXAMPLES and EXIT STATUS, which
//! clap knows nothing of, come from the tables here (a test parses every example with the
//! real CLI, so they cannot go stale).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, CommandFactory};

use super::{Cli, GlobalArgs, output};

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page into DIR (created if missing) instead of printing mlqd.1
    #[arg(long, env = "MLQD_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Every page: (file name, roff text). The top page first, then the subcommands, depth
/// first, named like git's (`mlqd-dlq-list.1`).
pub fn pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    collect(&cmd, "mlqd", &mut out)?;
    Ok(out)
}

fn collect(
    cmd: &clap::Command,
    name: &str,
    out: &mut Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    let page = cmd
        .clone()
        .name(name.to_string())
        .bin_name(name.replace('-', " "));
    let mut text = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut text)
        .with_context(|| format!("rendering the {name} page"))?;
    out.push((format!("{name}.1"), with_sections(text, name)));
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        collect(sub, &format!("{name}-{}", sub.get_name()), out)?;
    }
    Ok(())
}

/// Ready-to-run examples per page: (what it does, the command line). The command lines
/// are parsed by the real CLI in a test; anything after ` | `, ` > ` or ` && ` is shell.
pub fn examples(page: &str) -> &'static [(&'static str, &'static str)] {
    match page {
        "mlqd" => &[
            (
                "Run everything on one machine (Redis, the API, a worker, the reaper):",
                "mlqd up --builtin echo",
            ),
            (
                "In another terminal, post a job and wait for its result:",
                r#"mlqd post '{"text":"hello"}' --wait"#,
            ),
            (
                "Serve a model with a worker on another machine:",
                r#"mlqd --redis-url redis://queue-host:6379 worker --queue predict --exec "python3 handler.py""#,
            ),
        ],
        "mlqd-post" => &[
            (
                "Post a JSON payload to the default queue and print the job id:",
                r#"mlqd post '{"text":"hello"}'"#,
            ),
            (
                "Wait for the result (a progress bar on a terminal), at most 2 minutes:",
                r#"mlqd post --queue predict '{"features":[5.1,3.5,1.4,0.2]}' --wait --wait-timeout 2m"#,
            ),
            (
                "Post a file as raw bytes, to start in 5 minutes at high priority:",
                "mlqd post --queue upscale @in.png --content-type image/png --delay 5m --priority 50",
            ),
            (
                "Have the result POSTed to a URL once the job ends:",
                r#"mlqd post '{"text":"hi"}' --callback https://example.com/hooks/mlqd"#,
            ),
            (
                "Print a generator's output as it is produced (exit 0 once it succeeded):",
                r#"mlqd post --queue generate '{"prompt":"Once upon a time"}' --stream"#,
            ),
        ],
        "mlqd-status" => &[
            (
                "A job's state, progress, attempts and history:",
                "mlqd status predict.01JDX3ZQ5M3V8K2N4P6R8T0W2Y",
            ),
            (
                "The same as JSON, for scripts:",
                "mlqd status predict.01JDX3ZQ5M3V8K2N4P6R8T0W2Y --json | jq -r .state",
            ),
        ],
        "mlqd-result" => &[
            (
                "Wait for a job and save its result:",
                "mlqd result upscale.01JDX3ZQ5M3V8K2N4P6R8T0W2Y --wait -o out.png",
            ),
            (
                "Follow a running job's streamed output from its first chunk:",
                "mlqd result generate.01JDX3ZQ5M3V8K2N4P6R8T0W2Y --follow",
            ),
        ],
        "mlqd-cancel" => &[(
            "Cancel a job (a running one's handler is told, then stopped):",
            "mlqd cancel predict.01JDX3ZQ5M3V8K2N4P6R8T0W2Y",
        )],
        "mlqd-dlq" => &[
            ("The dead jobs of every queue:", "mlqd dlq list"),
            (
                "Give every dead job of one queue another go:",
                "mlqd dlq requeue --all --queue predict",
            ),
        ],
        "mlqd-dlq-list" => &[
            (
                "The dead jobs of one queue:",
                "mlqd dlq list --queue predict",
            ),
            ("As JSON:", "mlqd dlq list --json"),
        ],
        "mlqd-dlq-requeue" => &[
            (
                "Requeue two dead jobs:",
                "mlqd dlq requeue predict.01JDX3ZQ5M3V8K2N4P6R8T0W2Y predict.01JDX4ZQ5M3V8K2N4P6R8T0W2Y",
            ),
            (
                "Requeue every dead job of a queue:",
                "mlqd dlq requeue --all --queue predict",
            ),
        ],
        "mlqd-dlq-purge" => &[(
            "Delete a queue's dead jobs for good:",
            "mlqd dlq purge --queue predict",
        )],
        "mlqd-queues" => &[
            ("Counts per queue and state, with limits:", "mlqd queues"),
            ("As JSON:", "mlqd queues --json"),
            (
                "At most 2 jobs of queue gpu at once, across every worker:",
                "mlqd queues limit gpu --max-active 2",
            ),
        ],
        "mlqd-cron" => &[
            (
                "Retrain every night at 02:30, Paris time:",
                r#"mlqd cron set nightly --cron "30 2 * * *" --tz Europe/Paris --queue train '{"model":"v2"}'"#,
            ),
            (
                "Every schedule with its next and last run:",
                "mlqd cron list",
            ),
        ],
        "mlqd-cron-set" => &[
            (
                "Re-score every hour:",
                r#"mlqd cron set rescore --every 1h --queue score '{"batch":"all"}'"#,
            ),
            (
                "Weekdays at 9:00 in New York, at most 10 minutes per run:",
                r#"mlqd cron set report --cron "0 9 * * MON-FRI" --tz America/New_York --queue reports --timeout 10m"#,
            ),
        ],
        "mlqd-cron-list" => &[
            ("As a table:", "mlqd cron list"),
            (
                "As JSON (next_run, last_run, last_job):",
                "mlqd cron list --json",
            ),
        ],
        "mlqd-cron-rm" => &[("Stop a schedule:", "mlqd cron rm nightly")],
        "mlqd-jobs" => &[
            (
                "The next 50 jobs of queue predict, in the order they will run:",
                "mlqd jobs --queue predict",
            ),
            (
                "The newest dead jobs, as JSON:",
                "mlqd jobs --queue predict --state dead --json",
            ),
            (
                "The next page (the cursor the previous page printed):",
                "mlqd jobs --queue predict --state succeeded --cursor c3VjY2VlZGVk",
            ),
        ],
        "mlqd-queues-limit" => &[
            (
                "At most 10 starts a second, saving up to 20 while idle:",
                "mlqd queues limit paid-api --rate 10/s --burst 20",
            ),
            (
                "At most 2 jobs running at once (a licence for 2 GPUs):",
                "mlqd queues limit train --max-active 2",
            ),
            ("Remove every limit:", "mlqd queues limit train --clear"),
        ],
        "mlqd-serve" => &[
            (
                "The API on loopback, for a reverse proxy in front:",
                "mlqd serve --listen 127.0.0.1:8080",
            ),
            (
                "On every interface, with a token and a schema for one queue:",
                r#"mlqd serve --listen 0.0.0.0:8080 --token "$MLQD_TOKEN" --schema predict=predict.schema.json --max-pending 10000"#,
            ),
        ],
        "mlqd-worker" => &[
            (
                "A Python model, one process per slot, batching up to 16 jobs:",
                r#"mlqd worker --queue iris --concurrency 2 --exec "python3 examples/iris/handler.py" --batch-size 16 --batch-wait 5ms"#,
            ),
            (
                "A model server over HTTP, with metrics and health at :9464:",
                "mlqd worker --queue predict --http http://127.0.0.1:8000/predict --metrics-listen 0.0.0.0:9464",
            ),
            (
                "The builtin sleep handler: post {\"ms\": N} jobs and watch their progress:",
                "mlqd worker --queue demo --builtin sleep",
            ),
        ],
        "mlqd-reaper" => &[(
            "Maintenance alone, with metrics and health at :9465:",
            "mlqd reaper --metrics-listen 0.0.0.0:9465",
        )],
        "mlqd-up" => &[
            (
                "Everything on one machine, echoing payloads:",
                "mlqd up --builtin echo",
            ),
            (
                "Your own handler with two slots, the API on another port:",
                r#"mlqd up --exec "python3 handler.py" --workers 2 --listen 127.0.0.1:9000"#,
            ),
            (
                "Against a Redis you run (no managed Redis):",
                "mlqd up --redis-url redis://127.0.0.1:6380 --builtin echo",
            ),
        ],
        "mlqd-workers" => &[
            ("The live workers:", "mlqd workers"),
            ("As JSON:", "mlqd workers --json"),
        ],
        "mlqd-top" => &[
            ("The live view (q quits):", "mlqd top"),
            ("One snapshot as tables, for a log:", "mlqd top --once"),
            ("One snapshot as JSON:", "mlqd top --json | jq .queues"),
        ],
        "mlqd-bench" => &[
            ("One run:", "mlqd bench --jobs 20000 --concurrency 8"),
            (
                "Drain throughput against concurrency, plotted:",
                "mlqd bench --jobs 20000 --concurrency 1,2,4,8 --plot scaling.svg",
            ),
        ],
        "mlqd-completions" => &[(
            "Bash completions for your user:",
            "mlqd completions bash > ~/.local/share/bash-completion/completions/mlqd",
        )],
        "mlqd-man" => &[(
            "Every page, where man finds them:",
            "mlqd man --dir ~/.local/share/man/man1",
        )],
        _ => &[],
    }
}

/// The exit codes a page's command can end with: (code, meaning).
pub fn exit_status(page: &str) -> Vec<(u8, &'static str)> {
    use super::exit::{JOB_FAILED, NOT_FOUND, OK, RUNTIME, TIMEOUT, USAGE};
    let ok = match page {
        "mlqd-serve" | "mlqd-worker" | "mlqd-reaper" | "mlqd-up" => {
            "stopped by SIGTERM or SIGINT (Ctrl-C) after draining"
        }
        _ => "success",
    };
    let mut codes = vec![
        (OK, ok),
        (
            RUNTIME,
            "runtime error: Redis unreachable, a port taken, a file that cannot be written",
        ),
        (
            USAGE,
            "usage error or invalid value (a bad flag, queue name, duration, payload; an --exec command that cannot start)",
        ),
    ];
    let waits = matches!(page, "mlqd" | "mlqd-post" | "mlqd-result");
    let reads_a_job = matches!(
        page,
        "mlqd" | "mlqd-status" | "mlqd-result" | "mlqd-cancel" | "mlqd-dlq" | "mlqd-dlq-requeue"
    );
    if waits {
        codes.push((JOB_FAILED, "the job ended dead or cancelled"));
    }
    if reads_a_job {
        codes.push((NOT_FOUND, "no such job"));
    }
    if waits {
        codes.push((
            TIMEOUT,
            "--wait-timeout passed (or, for result without --wait, the job has not finished)",
        ));
    }
    codes
}

/// Escapes text for a roff line (hyphens stay hyphens, quotes stay straight).
fn roff_text(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\e")
        .replace('-', "\\-")
        .replace('\'', "\\*(Aq");
    if escaped.starts_with('.') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// Adds EXIT STATUS and EXAMPLES before the VERSION section (or at the end).
fn with_sections(page: Vec<u8>, name: &str) -> Vec<u8> {
    let mut extra = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in exit_status(name) {
        extra.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(meaning)));
    }
    let examples = examples(name);
    if !examples.is_empty() {
        extra.push_str(".SH EXAMPLES\n");
        for (what, line) in examples {
            extra.push_str(&format!(
                ".PP\n{}\n.PP\n.RS 4\n.nf\n\\fB{}\\fR\n.fi\n.RE\n",
                roff_text(what),
                roff_text(line)
            ));
        }
    }
    let mut text = String::from_utf8_lossy(&page).into_owned();
    match text.find("\n.SH VERSION") {
        Some(at) => text.insert_str(at + 1, &extra),
        None => text.push_str(&extra),
    }
    text.into_bytes()
}

/// Writes every page into `dir`. Returns the paths written.
pub fn write_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    for (name, text) in pages()? {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

pub async fn run(_g: &GlobalArgs, a: ManArgs) -> anyhow::Result<u8> {
    match a.dir {
        Some(dir) => {
            let written = write_pages(&dir)?;
            output::line(format_args!(
                "wrote {} manual pages to {}",
                written.len(),
                dir.display()
            ))?;
        }
        None => {
            let pages = pages()?;
            let mut out = std::io::stdout().lock();
            if let Some((_, text)) = pages.first() {
                out.write_all(text)?;
            }
            out.flush()?;
        }
    }
    Ok(super::exit::OK)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// The words of an example up to the first shell operator.
    fn argv(line: &str) -> Vec<String> {
        shlex::split(line)
            .unwrap_or_else(|| panic!("unbalanced quotes in {line:?}"))
            .into_iter()
            .take_while(|w| !matches!(w.as_str(), "|" | ">" | "&&"))
            .collect()
    }

    #[test]
    fn every_page_has_exit_status_and_examples_the_cli_accepts() {
        let pages = pages().unwrap();
        assert!(pages.len() > 15);
        for (file, text) in &pages {
            let name = file.trim_end_matches(".1");
            let text = String::from_utf8_lossy(text);
            assert!(text.contains(".SH \"EXIT STATUS\""), "{file}");
            assert!(text.contains(".SH EXAMPLES"), "{file}");
            // the new sections sit before VERSION, after the options
            let (exit, version) = (text.find("EXIT STATUS").unwrap(), text.find(".SH VERSION"));
            assert!(version.is_none_or(|v| exit < v), "{file}");
            assert!(
                text.contains("\\fB0\\fR") && text.contains("\\fB1\\fR"),
                "{file}"
            );
            for (what, line) in examples(name) {
                assert!(!what.is_empty());
                let words = argv(line);
                assert_eq!(words[0], "mlqd", "{line}");
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("{file}: the example `{line}` is refused:\n{e}");
                }
            }
        }
        let post = &pages.iter().find(|(f, _)| f == "mlqd-post.1").unwrap().1;
        let post = String::from_utf8_lossy(post);
        assert!(
            post.contains("\\fB5\\fR\n\\-\\-wait\\-timeout passed"),
            "{post}"
        );
        assert!(
            post.contains(r"mlqd post \*(Aq{"),
            "quotes are escaped: {post}"
        );
    }

    #[test]
    fn roff_text_escapes_what_roff_would_eat() {
        assert_eq!(roff_text("--wait"), r"\-\-wait");
        assert_eq!(roff_text(".hidden"), r"\&.hidden");
        assert_eq!(roff_text(r"a\b 'c'"), r"a\eb \*(Aqc\*(Aq");
    }
}
