//! The browser client (`web/` at the repository root), embedded in the
//! binary so that `convene serve` is all a user needs: `/`, `/app.js`,
//! `/style.css` and the JS SDK at `/sdk/convene.js`.

use axum::http::header;
use axum::response::{Html, IntoResponse};

pub const INDEX: &str = include_str!("../../../web/index.html");
const APP: &str = include_str!("../../../web/app.js");
const STYLE: &str = include_str!("../../../web/style.css");
const SDK: &str = include_str!("../../../web/sdk/convene.js");

/// Headers of every page and file of the browser client: no framing by
/// other sites (the host's buttons end meetings and remove people: no
/// clickjacking), no referrer (a join link's path carries its secret code),
/// no content-type guessing.
pub async fn page_headers(mut res: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let h = res.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}

pub async fn app_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP)
}

pub async fn sdk_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SDK)
}

pub async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

/// The page for a join link: the app, with what the link says embedded as
/// JSON (escaped so that no value can close the script element).
pub fn join_page(data: &serde_json::Value) -> String {
    let json = data
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    INDEX.replace(
        "<!--JOIN_LINK-->",
        &format!("<script id=\"join-link-data\" type=\"application/json\">{json}</script>"),
    )
}
