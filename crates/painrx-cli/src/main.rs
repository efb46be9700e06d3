//! The `painrx` binary: parse arguments, call the library, render the answer.
//!
//! Exit codes: 0 success; 1 the content checked is invalid; 2 bad input (unknown name, bad
//! argument, unreadable or oversized file); 3 an IO or database failure (output that cannot be
//! written, a database that cannot be reached or refuses a write, a server that cannot run).

mod args;
mod commands;
mod diary;
mod render;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Cli;

/// An error the user can act on, and the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: exit 2.
    #[error("{0}")]
    Input(String),
    /// Content failed validation: exit 1 (the diagnostics were already printed).
    #[error("{0}")]
    Invalid(String),
    /// Could not write output: exit 3.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// The database or the system failed (not the input, not the content): exit 3.
    #[error("{0}")]
    Failure(String),
    /// An operation of the application layer failed; its kind decides the exit code.
    #[error(transparent)]
    App(#[from] painrx_app::AppError),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Invalid(_) => 1,
            CliError::Output(_) | CliError::Failure(_) => 3,
            // The one mapping of the application layer's errors onto exit codes.
            CliError::App(e) => match e.kind() {
                painrx_app::ErrorKind::Internal => 3,
                painrx_app::ErrorKind::Invalid
                | painrx_app::ErrorKind::NotFound
                | painrx_app::ErrorKind::NotReady => 2,
            },
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("painrx: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
