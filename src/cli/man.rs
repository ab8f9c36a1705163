//! `mlqd man`: manual pages generated from the clap definition: `mlqd.1` on stdout, or,
//! with `--dir`, `mlqd.1` and one page per subcommand (`mlqd-post.1`, `mlqd-dlq-list.1`…),
//! as kept in `man/`.

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
    out.push((format!("{name}.1"), text));
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        collect(sub, &format!("{name}-{}", sub.get_name()), out)?;
    }
    Ok(())
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
