//! `telemetry-site completions SHELL`: clap_complete's script for the whole command line.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

use super::{fail, Exit};

pub fn run(args: &CompletionsArgs) -> Result<Exit, Exit> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "telemetry-site", &mut script);
    match std::io::stdout().lock().write_all(&script) {
        Ok(()) => Ok(Exit::Success),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Success), // `| head`
        Err(e) => Err(fail(Exit::Usage, format!("cannot write the script: {e}"))),
    }
}
