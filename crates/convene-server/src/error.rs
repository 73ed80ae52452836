//! The one place where errors become the product's SDKERR codes and HTTP
//! statuses. Internals (SQL, IO) are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use convene_proto::{RestError, SdkErr};
use convene_store::StoreError;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: SdkErr,
    pub msg: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: SdkErr, msg: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            msg: msg.into(),
        }
    }

    pub fn bad_request(code: SdkErr, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, msg)
    }

    pub fn unauthorized(code: SdkErr, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, msg)
    }

    pub fn forbidden(code: SdkErr, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, msg)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            SdkErr::CMS_CONF_DATA_NOT_FOUND,
            "the meeting does not exist",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            SdkErr::SDK_COMMON_FAIL,
            "internal server error",
        )
    }
}

/// A refusal of the meeting rules (a create, a join, a control request),
/// answered over REST: wrong credentials 401, a password lockout 403,
/// anything else 400.
impl From<convene_core::Refusal> for ApiError {
    fn from(r: convene_core::Refusal) -> Self {
        let status = match r.code {
            SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED => StatusCode::UNAUTHORIZED,
            SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED => StatusCode::FORBIDDEN,
            SdkErr::CMS_CONF_DATA_NOT_FOUND => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, r.code, r.reason)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(RestError::new(self.code, self.msg))).into_response()
    }
}

/// Answers that axum makes by itself on a REST route (a query string or a
/// body it cannot take, a body over the size limit, a method the route does
/// not have) come as plain text or empty; the product's clients expect
/// `{"error_code", "error_msg"}` on every error. This turns them into that,
/// with `code` (the API family's "bad request") and the same HTTP status.
pub async fn rest_error_body(code: SdkErr, res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    // A 405 keeps its list of the methods the path has.
    let allow = res.headers().get(axum::http::header::ALLOW).cloned();
    let text = axum::body::to_bytes(res.into_body(), 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let msg = match text.trim() {
        "" => status.canonical_reason().unwrap_or("bad request").to_string(),
        t => t.to_string(),
    };
    let mut res = ApiError::new(status, code, msg).into_response();
    if let Some(allow) = allow {
        res.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    res
}

/// An unknown path of a REST API family: the product's JSON error, 404.
pub fn no_such_api(code: SdkErr, method: &axum::http::Method, uri: &axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code,
        format!("no such API: {method} {}", uri.path()),
    )
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::RoomBusy(r) => ApiError::new(
                StatusCode::CONFLICT,
                SdkErr::CMS_CONF_NUM_UP_TO_LIMIT,
                format!(
                    "cloud meeting room {r} holds another meeting (running or booked) at that time; \
                     pick another time or use a random meeting ID"
                ),
            ),
            StoreError::RoomNotAllowed(r) => ApiError::new(
                StatusCode::FORBIDDEN,
                SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS,
                format!("cloud meeting room {r} is neither yours nor one of your enterprise's shared rooms"),
            ),
            StoreError::NoFreeRoom => ApiError::new(
                StatusCode::CONFLICT,
                SdkErr::CMS_CONF_NUM_UP_TO_LIMIT,
                "every shared cloud meeting room of the enterprise holds a meeting at that time",
            ),
            other => {
                tracing::error!(error = %other, "storage failure");
                ApiError::internal()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A bare 404 for what is not there for this caller (a loopback-only
/// endpoint asked from elsewhere): no body, nothing told.
pub fn hidden() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// The longest request target (path and query) answered; nginx's
/// `large_client_header_buffers` default. Longer ones get 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header bytes answered; more get 431.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Refuses an oversized request target (414) or header block (431) with
/// the product's JSON error shape (hyper itself answers only beyond its own
/// fixed limits, 64 KiB of URI and ~400 KiB of headers, with empty bodies).
pub async fn request_head_limits(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    let code = if path.starts_with("/v1/usg") || path.starts_with("/v2/usg") {
        SdkErr::USG_PARAM_ERR
    } else {
        SdkErr::CMS_CONF_BAD_REQUEST
    };
    let target = path.len() + req.uri().query().map_or(0, |q| q.len() + 1);
    if target > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            code,
            format!("the request target is longer than {MAX_URI_BYTES} bytes"),
        )
        .into_response();
    }
    let headers: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if headers > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            code,
            format!("the request headers are larger than {MAX_HEADER_BYTES} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}
