//! The `mlqd` binary: parse, set up logging, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mlqd::cli::Cli::parse();
    mlqd::cli::init_tracing(&cli.global);
    mlqd::cli::run(cli)
}
