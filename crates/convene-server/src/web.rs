//! The browser client (`web/` at the repository root), embedded in the
//! binary so that `convene serve` is all a user needs: `/`, `/app.js`,
//! `/style.css` and the JS SDK's modules under `/sdk/` (`/sdk/convene.js`
//! imports the others).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse};
use convene_core::{ConfId, ConfState};
use convene_proto::rest::{JoinLinkInfo, LinkRole};
use convene_proto::ConfRole;

pub const INDEX: &str = include_str!("../../../web/index.html");
const APP: &str = include_str!("../../../web/app.js");
const STYLE: &str = include_str!("../../../web/style.css");
/// The JS SDK's modules (`web/sdk/`), served as `/sdk/{name}`.
const SDK: &[(&str, &str)] = &[
    ("convene.js", include_str!("../../../web/sdk/convene.js")),
    ("types.js", include_str!("../../../web/sdk/types.js")),
    ("mapping.js", include_str!("../../../web/sdk/mapping.js")),
    ("rest.js", include_str!("../../../web/sdk/rest.js")),
    ("session.js", include_str!("../../../web/sdk/session.js")),
    ("media.js", include_str!("../../../web/sdk/media.js")),
    ("calls.js", include_str!("../../../web/sdk/calls.js")),
];

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

/// `GET /sdk/{name}`: one module of the JS SDK; 404 for any other name.
pub async fn sdk_js(Path(name): Path<String>) -> axum::response::Response {
    match SDK.iter().find(|(n, _)| *n == name) {
        Some((_, body)) => ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], *body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

/// `GET /j/{confId}/{random}`: where a join link lands. It checks the link's
/// code (`Meeting::link_role`) and shows the app with the meeting; the code
/// is what `joinConfByRandom` takes. A wrong code or an unknown meeting:
/// 404; a meeting that ended: 410.
pub async fn join_link(
    State(state): State<crate::AppState>,
    Path((conf_id, code)): Path<(String, String)>,
) -> impl IntoResponse {
    let t = state.now();
    let meeting = state.store.meeting_by_conf_id(&ConfId(conf_id), t).await.ok().flatten();
    let found = meeting.and_then(|m| m.link_role(&code).map(|r| (m, r)));
    match found {
        // A booked meeting's link opens it too: the join starts it, or says
        // when it can be started.
        Some((m, role)) if matches!(m.state_at(t), ConfState::Running | ConfState::Scheduled) => {
            let info = JoinLinkInfo {
                conf_id: m.conf_id.0.clone(),
                random: code,
                subject: m.info.subject.clone(),
                media_type: m.info.media_type,
                role: match role {
                    ConfRole::Host => LinkRole::Host,
                    ConfRole::Audience => LinkRole::Audience,
                    _ => LinkRole::Guest,
                },
                host_name: m.owner_name.clone(),
            };
            (StatusCode::OK, Html(join_page(&info)))
        }
        Some((m, _)) => message_page(
            StatusCode::GONE,
            &m.info.subject,
            "<p>This meeting has ended. <a href=\"/\">convene</a></p>",
        ),
        None => message_page(
            StatusCode::NOT_FOUND,
            "Meeting not found",
            "<p>This link does not open a meeting.</p>",
        ),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A small page with a title and a message (`body` is trusted HTML), in
/// the app's own look, with the way home.
fn message_page(status: StatusCode, title: &str, body: &str) -> (StatusCode, Html<String>) {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=en><head><meta charset=utf-8>\
             <meta name=viewport content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
             <link rel=stylesheet href=/style.css></head><body>\
             <header><strong><a href=/ class=home-link>convene</a></strong></header>\
             <main><h1>{t}</h1><div class=card>{body}<p><a href=/>Go to the home page</a></p></div></main></body></html>",
            t = escape(title)
        )),
    )
}

/// Any other page address: a page saying so (API paths answer JSON).
pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    let path = uri.path();
    if path.starts_with("/v1/") || path.starts_with("/v2/") || path.starts_with("/cms/") {
        return crate::error::ApiError::new(
            StatusCode::NOT_FOUND,
            convene_proto::SdkErr::CMS_CONF_DATA_NOT_FOUND,
            "no such API",
        )
        .into_response();
    }
    message_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "<p>There is nothing at this address. A meeting's link may have been cut short: ask for it again.</p>",
    )
    .into_response()
}

/// The page for a join link: the app, with what the link says embedded as
/// JSON (escaped so that no value can close the script element).
pub fn join_page(data: &JoinLinkInfo) -> String {
    let json = serde_json::to_string(data)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    INDEX.replace(
        "<!--JOIN_LINK-->",
        &format!("<script id=\"join-link-data\" type=\"application/json\">{json}</script>"),
    )
}

#[cfg(test)]
mod tests {
    /// A module added to `web/sdk/` and not to [`super::SDK`] would be a 404
    /// in the browser, found only by the browser test.
    #[test]
    fn every_sdk_module_is_served() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/sdk");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".js") {
                assert!(
                    super::SDK.iter().any(|(n, _)| *n == name),
                    "web/sdk/{name} is not served"
                );
            }
        }
    }
}
