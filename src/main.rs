//! The `telemetry-site` command: parse, run, exit (0 ok, 1 input errors, 2 usage or config).

use std::process::ExitCode;

use clap::Parser;
use telemetry_site::cli::Cli;
use telemetry_site::commands;

fn main() -> ExitCode {
    commands::run(Cli::parse()).into()
}
