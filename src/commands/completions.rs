//! `telemetry-site completions SHELL`: clap_complete's script for the whole command line.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

use super::Exit;

pub fn run(args: &CompletionsArgs) -> Result<Exit, Exit> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "telemetry-site", &mut std::io::stdout());
    Ok(Exit::Success)
}
