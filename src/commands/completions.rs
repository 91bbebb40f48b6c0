//! `telemetry-site completions SHELL`: clap_complete's script for the whole command line.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

use super::{fail, Exit};

const BIN: &str = "telemetry-site";

/// clap_complete's bash script for a name with a `-` (clap issues 6421 and 6529) sets its
/// state to `telemetry__site__subcmd__build` and then matches `telemetry__subcmd__site__...`,
/// so no subcommand's options were ever completed. One spelling is made of the other.
fn mend_bash(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script).replace("telemetry__subcmd__site", "telemetry__site").into_bytes()
}

pub fn run(args: &CompletionsArgs) -> Result<Exit, Exit> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), BIN, &mut script);
    if args.shell == clap_complete::Shell::Bash {
        script = mend_bash(&script);
    }
    match std::io::stdout().lock().write_all(&script) {
        Ok(()) => Ok(Exit::Success),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Success), // `| head`
        Err(e) => Err(fail(Exit::Usage, format!("cannot write the script: {e}"))),
    }
}
