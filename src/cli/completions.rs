//! `mlqd completions SHELL`: the shell completion script, generated from the clap
//! definition (the files in `completions/` are this command's output, kept current by a
//! test).

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::{Generator, Shell};

use super::{Cli, GlobalArgs};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The name the completion file for `shell` goes by (`mlqd.bash`, `_mlqd`, `mlqd.fish`…).
pub fn file_name(shell: Shell) -> String {
    shell.file_name("mlqd")
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "mlqd", &mut out);
    out
}

pub async fn run(_g: &GlobalArgs, a: CompletionsArgs) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    out.write_all(&script(a.shell))?;
    out.flush()?;
    Ok(super::exit::OK)
}
