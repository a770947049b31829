//! Problem responses: the `application/problem+json` error every endpoint (and fault
//! injection) answers with, and the conversions from the backend's errors.

use crate::Error;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// An `application/problem+json` error.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    kind: &'static str,
    title: String,
    detail: String,
    extra: Map<String, Value>,
    retry_after: Option<u64>,
}

/// Builds a problem; `kind` becomes the last segment of its `type` URI.
pub(crate) fn problem(
    status: StatusCode,
    kind: &'static str,
    title: &str,
    detail: &str,
) -> Problem {
    Problem {
        status,
        kind,
        title: title.into(),
        detail: detail.into(),
        extra: Map::new(),
        retry_after: None,
    }
}

impl Problem {
    /// Adds a `Retry-After` header of `secs` seconds.
    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Adds a member `key` to the problem body.
    pub(crate) fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.to_value().to_string()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        tracing::error!("backend error: {e}");
        if let Error::Unavailable(why) = &e {
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Database unavailable",
                why,
            )
            .retry_after(1);
        }
        // A connection the database cut (it restarted, or is shutting down): nothing was
        // committed, and the same request succeeds once it is back.
        if let Error::Pg(pe) = &e
            && crate::db::pg::connection_lost(pe)
        {
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Database unavailable",
                &format!("the database connection was lost: {pe}"),
            )
            .retry_after(1);
        }
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            &e.to_string(),
        )
    }
}

impl From<rusqlite::Error> for Problem {
    fn from(e: rusqlite::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<postgres::Error> for Problem {
    fn from(e: postgres::Error) -> Self {
        Error::from(e).into()
    }
}

impl From<serde_json::Error> for Problem {
    fn from(e: serde_json::Error) -> Self {
        Error::from(e).into()
    }
}

/// A 422 problem: the request was understood but its content is refused.
pub(crate) fn unprocessable(kind: &'static str, title: &str, detail: &str) -> Problem {
    problem(StatusCode::UNPROCESSABLE_ENTITY, kind, title, detail)
}

/// A 422 problem naming the field of an agent's record that was refused (`field` is a path
/// such as `tool_calls[2].started_at`).
pub(crate) fn invalid_field(field: &str, detail: &str) -> Problem {
    unprocessable(
        "invalid-field",
        "Invalid field value",
        &format!("{field}: {detail}"),
    )
    .with("field", json!(field))
}

/// A 413 problem: the request body is larger than `max` bytes.
pub(crate) fn too_large(max: usize) -> Problem {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "Request too large",
        &format!("the body is larger than {max} bytes"),
    )
    .with("max_bytes", json!(max))
}

impl Problem {
    /// The problem's kind (the last segment of its `type`).
    pub(crate) fn kind(&self) -> &'static str {
        self.kind
    }

    /// The problem body as JSON (for per-item results of a batch).
    pub(crate) fn to_value(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("https://countersign.dev/problems/{}", self.kind)),
        );
        body.insert("title".into(), json!(self.title));
        body.insert("status".into(), json!(self.status.as_u16()));
        body.insert("detail".into(), json!(self.detail));
        body.extend(self.extra.clone());
        Value::Object(body)
    }
}
