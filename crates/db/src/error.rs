//! Why a social operation was refused, in terms the HTTP layer maps to statuses.

use enishi_core::ValidationError;
use sea_orm::DbErr;

/// The outcome of a refused operation.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The target does not exist *or the caller may not see it* (404; never reveals which).
    #[error("{0}")]
    NotFound(String),
    /// The caller may see the target but not do this to it (403).
    #[error("{0}")]
    Forbidden(String),
    /// The operation clashes with the current state (409), with a stable code.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// The input breaks a rule (422), naming the field.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl OpError {
    /// A 404 with a message.
    pub fn not_found(what: impl Into<String>) -> Self {
        OpError::NotFound(what.into())
    }
}

/// Result of a social operation.
pub type OpResult<T> = Result<T, OpError>;
