//! The one error type of the API: RFC 9457 `application/problem+json`.

use axum::extract::rejection::JsonRejection;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The body of a 500 when not even a problem could be serialised.
const INTERNAL_BODY: &str = r#"{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"an internal error occurred; it has been logged"}"#;

/// A problem to report to the caller.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip)]
    code: StatusCode,
    /// Seconds the client should wait before trying again (`Retry-After`, on 429 and 503).
    #[serde(skip)]
    retry_after: Option<u32>,
}

impl Problem {
    pub fn new(code: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: code.canonical_reason().unwrap_or("error").to_string(),
            status: code.as_u16(),
            detail: detail.into(),
            code,
            retry_after: None,
        }
    }

    /// The same problem, asking the client to wait `seconds` before trying again.
    pub fn retry_after(mut self, seconds: u32) -> Problem {
        self.retry_after = Some(seconds);
        self
    }

    /// The seconds this problem asks the client to wait, if any.
    pub fn retry_after_seconds(&self) -> Option<u32> {
        self.retry_after
    }

    /// Bad input: 422 with what is wrong.
    pub fn invalid(detail: impl std::fmt::Display) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail.to_string())
    }

    /// The HTTP status of this problem.
    pub fn status_code(&self) -> StatusCode {
        self.code
    }

    pub fn not_found(detail: impl std::fmt::Display) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, detail.to_string())
    }

    /// An unexpected failure: logged in full, echoed only as a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Problem {
        tracing::error!(%detail, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "an internal error occurred; it has been logged",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = match serde_json::to_vec(&self) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, status = self.status, "cannot serialise a problem");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(header::CONTENT_TYPE, "application/problem+json")],
                    INTERNAL_BODY,
                )
                    .into_response();
            }
        };
        let mut response = (
            self.code,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        // RFC 9110 §15.5.2: a 401 names the scheme that would succeed (RFC 6750 bearer tokens).
        if self.code == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"painrx\""),
            );
        }
        response
    }
}

/// What a 503 for an unavailable database asks the client to wait, in seconds.
pub const DATABASE_RETRY_AFTER_S: u32 = 5;

/// The one mapping of the store's errors onto HTTP: bad input 422, duplicates and stale
/// versions 409, missing 404, an unreachable database 503 with `Retry-After`, the rest 500.
impl From<painrx_store::StoreError> for Problem {
    fn from(e: painrx_store::StoreError) -> Problem {
        use painrx_store::StoreError;
        match e {
            StoreError::Invalid(m) => Problem::invalid(m),
            StoreError::Duplicate(m) => Problem::new(StatusCode::CONFLICT, m),
            StoreError::NotFound => Problem::not_found("not found"),
            e @ StoreError::Conflict { .. } => Problem::new(StatusCode::CONFLICT, e.to_string()),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable: answering 503");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable; try again in a moment",
                )
                .retry_after(DATABASE_RETRY_AFTER_S)
            }
            other => Problem::internal(other),
        }
    }
}

/// The one mapping of the application layer's errors onto HTTP.
impl From<painrx_app::AppError> for Problem {
    fn from(error: painrx_app::AppError) -> Problem {
        use painrx_app::ErrorKind;
        match error.kind() {
            ErrorKind::Invalid => Problem::invalid(error),
            ErrorKind::NotFound => Problem::not_found(error),
            ErrorKind::NotReady => Problem::new(StatusCode::CONFLICT, error.to_string()),
            ErrorKind::Internal => Problem::internal(error),
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Problem {
        let code = rejection.status();
        let code = if code == StatusCode::PAYLOAD_TOO_LARGE {
            code
        } else if code.is_client_error() {
            StatusCode::BAD_REQUEST
        } else {
            code
        };
        Problem::new(code, rejection.body_text())
    }
}
