//! The `spec-kitty` binary: parse arguments, run the command, exit with its code.
//!
//! Everything that decides anything lives in the `spec_kitty` library; the `cli` module only maps
//! arguments to library calls and renders what they return.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
