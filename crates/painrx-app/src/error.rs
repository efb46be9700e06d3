//! The application layer's one error type. Each variant keeps the error it came from (its kind
//! and source chain); [`AppError::kind`] is what the edges map to the wire: problem+json on the
//! API, the error page on the web, an exit code on the CLI.

use painrx_engine::{
    assess::AssessError, check::CheckError, dose::DoseError, equiv::EquivError, range::RangeError,
    renal::RenalError, schedule::PlanError, screen::ScreenError,
};
use painrx_kb::{compare::CompareError, ResolveError};

/// What kind of failure an error is, which is all an edge needs to choose a status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is wrong: 422 on HTTP, exit code 2 on the CLI.
    Invalid,
    /// The thing asked for does not exist: 404 on HTTP, exit code 2 on the CLI.
    NotFound,
    /// Something the request needs is not set up on this installation (e.g. no ANSM thesaurus
    /// imported): 409 on HTTP, exit code 2 on the CLI.
    NotReady,
    /// A failure of ours, not of the request: logged, 500 on HTTP, exit code 1 on the CLI.
    Internal,
}

/// Every way an operation of the application layer can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field of the request breaks a rule of its own (a value out of range, two fields that
    /// exclude each other); the message names the field.
    #[error("{0}")]
    Field(String),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A name resolved, but to the wrong kind of thing (`fibromyalgia` given as a drug).
    #[error("`{name}` is a {kind}, not {wanted}")]
    WrongKind {
        name: String,
        kind: painrx_kb::vocab::Kind,
        wanted: &'static str,
    },
    #[error(transparent)]
    Dose(#[from] DoseError),
    #[error(transparent)]
    Renal(#[from] RenalError),
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Equiv(#[from] EquivError),
    #[error(transparent)]
    Screen(#[from] ScreenError),
    #[error(transparent)]
    Assess(#[from] AssessError),
    #[error(transparent)]
    Compare(#[from] CompareError),
    /// A medication line that does not read (the engine's sentence for the user).
    #[error("{0}")]
    Medication(String),
    /// A lookup by name or id that found nothing (a monograph, a section).
    #[error("{0}")]
    NotFound(String),
    /// Installation state the request needs is missing (no ANSM edition imported).
    #[error("{0}")]
    NotReady(String),
    /// Our failure; the message is for the log, not the user.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// The kind an edge maps to its wire.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::NotFound(_) => ErrorKind::NotFound,
            AppError::NotReady(_) | AppError::Screen(ScreenError::NoAnsm) => ErrorKind::NotReady,
            AppError::Internal(_) => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        }
    }

    pub(crate) fn field(message: impl Into<String>) -> AppError {
        AppError::Field(message.into())
    }
}

/// The result of every operation.
pub type AppResult<T> = Result<T, AppError>;
