//! The `telemetry-site` command: parse, run, exit (0 ok, 1 input errors, 2 usage or config).

use std::process::ExitCode;

use clap::Parser;
use telemetry_site::cli::Cli;
use telemetry_site::commands;

/// mimalloc rather than the system allocator: a build makes and frees millions of small
/// strings and buffers on every core, where glibc's malloc spent about a tenth of a
/// year's build (measured in the README's performance section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    commands::run(Cli::parse()).into()
}
