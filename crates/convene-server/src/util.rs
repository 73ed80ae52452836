//! Small helpers of the HTTP edge: the clock and JSON bodies with SDKERR errors.

use convene_proto::SdkErr;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The system clock in Unix seconds. The server reads the time through
/// `clock::Clock` (this plus an offset tests can advance); the admin
/// commands, which run beside a server, read it here.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The system clock in Unix milliseconds (webhook events: when they were
/// pushed, how late).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Parses a JSON body; a malformed one is a clear `code` error, not a 422 text.
pub fn json_body<T: DeserializeOwned>(body: &[u8], code: SdkErr) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(code, format!("malformed JSON body: {e}")))
}

/// An HTTP 200 JSON answer, written into a buffer of `capacity` bytes
/// (axum's `Json` starts at 128 and grows by copying: four times for a
/// meeting's ~1.4 KiB).
pub fn json_answer<T: serde::Serialize>(value: &T, capacity: usize) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let mut body = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut body, value).map_err(|e| {
        tracing::error!(error = %e, "encoding an answer");
        ApiError::internal()
    })?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}
