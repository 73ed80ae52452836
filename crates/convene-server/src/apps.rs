//! The enterprise's App IDs (spec §7, `/v2/usg/acs/corp/app`) for its
//! administrators: add (the ID and key are made here), list, update
//! (name, description, enabled or not), reset the key, delete. A disabled
//! or deleted App ID's logins are refused and its users' sessions end.

use axum::extract::{Path, Query, State};
use axum::Json;
use convene_proto::rest::{AppIdInfo, AppIdPage, AppIdRequest};
use convene_proto::SdkErr;
use convene_store::{App, AppChange, AppInfo};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::util::json_body;
use crate::AppState;

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::bad_request(SdkErr::USG_PARAM_ERR, reason)
}

fn shown(a: &AppInfo) -> AppIdInfo {
    AppIdInfo {
        app_name: a.name.clone(),
        app_id: a.app.app_id.clone(),
        app_key: a.app.app_key.clone(),
        description: a.description.clone(),
        create_time: (a.created_at * 1000).to_string(),
        last_update_time: (a.updated_at * 1000).to_string(),
        status: i64::from(a.disabled),
    }
}

/// `app_name` 1-64 characters, `description` at most 200, `status` 0 or 1.
fn checked(req: &AppIdRequest, adding: bool) -> ApiResult<AppChange> {
    let name = req.app_name.as_deref().map(str::trim);
    match name {
        None if adding => return Err(bad("app_name is required")),
        Some(n) if n.is_empty() || n.chars().count() > 64 => return Err(bad("app_name must be 1 to 64 characters")),
        Some(n) => convene_core::text::check_text("app_name", n, false).map_err(bad)?,
        None => {}
    }
    if let Some(d) = &req.description {
        if d.chars().count() > 200 {
            return Err(bad("description is longer than 200 characters"));
        }
        convene_core::text::check_text("description", d, true).map_err(bad)?;
    }
    let disabled = match req.status {
        None => None,
        Some(0) => Some(false),
        Some(1) => Some(true),
        Some(n) => return Err(bad(format!("status must be 0 (enabled) or 1 (disabled), not {n}"))),
    };
    Ok(AppChange {
        name: name.map(str::to_owned),
        description: req.description.clone(),
        disabled,
        app_key: None,
    })
}

/// The caller's enterprise's App ID `app_id`; another's looks missing.
async fn own_app(state: &AppState, user: &convene_store::User, app_id: &str) -> ApiResult<AppInfo> {
    state
        .store
        .app_info(app_id)
        .await?
        .filter(|a| a.app.enterprise_id == user.enterprise_id)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                SdkErr::USG_PARAM_ERR,
                "no such App ID in your enterprise",
            )
        })
}

/// Its users' cached sessions are forgotten on this node (their stored
/// sessions end in the store's transaction).
fn forget_app_users(state: &AppState, app_id: &str) {
    state.forget_app(app_id);
}

/// Adds an App ID: `{app_name, description}`; the ID and key are made here.
#[utoipa::path(post, path = "/v2/usg/acs/corp/app", tag = "enterprise",
    request_body = AppIdRequest,
    responses((status = 200, body = AppIdInfo), (status = 400, body = convene_proto::RestError), (status = 403, body = convene_proto::RestError)))]
pub async fn add_app(
    State(state): State<AppState>,
    Caller(admin): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<AppIdInfo>> {
    crate::corp::administrator(&admin)?;
    let req: AppIdRequest = json_body(&body, SdkErr::USG_PARAM_ERR)?;
    if req.status.is_some() {
        return Err(bad("a new App ID is enabled: status is set by an update"));
    }
    let change = checked(&req, true)?;
    let now = state.now();
    let app = App {
        app_id: convene_core::ids::random_hex(&mut rand::rngs::OsRng, 16),
        app_key: convene_core::ids::random_hex(&mut rand::rngs::OsRng, 32),
        enterprise_id: admin.enterprise_id.clone(),
    };
    let app = state.store.add_app(app, now).await?;
    state.store.update_app(&app.app_id, &change, now).await?;
    let info = state
        .store
        .app_info(&app.app_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok(Json(shown(&info)))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    offset: Option<i64>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/v2/usg/acs/corp/apps", tag = "enterprise",
    params(("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = AppIdPage), (status = 403, body = convene_proto::RestError)))]
pub async fn list_apps(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<AppIdPage>> {
    crate::corp::administrator(&admin)?;
    let (offset, limit, _) = crate::corp::page(q.offset, q.limit, None)?;
    let (count, apps) = state.store.list_apps(&admin.enterprise_id, offset, limit).await?;
    Ok(Json(AppIdPage {
        offset,
        limit,
        count,
        data: apps.iter().map(shown).collect(),
    }))
}

/// Changes `app_name`, `description` or `status` (1 disables its logins).
#[utoipa::path(put, path = "/v2/usg/acs/corp/app/{app_id}", tag = "enterprise",
    request_body = AppIdRequest, params(("app_id" = String, Path)),
    responses((status = 200, body = AppIdInfo), (status = 400, body = convene_proto::RestError), (status = 404, body = convene_proto::RestError)))]
pub async fn update_app(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Path(app_id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<AppIdInfo>> {
    crate::corp::administrator(&admin)?;
    own_app(&state, &admin, &app_id).await?;
    let req: AppIdRequest = json_body(&body, SdkErr::USG_PARAM_ERR)?;
    let change = checked(&req, false)?;
    state.store.update_app(&app_id, &change, state.now()).await?;
    if change.disabled == Some(true) {
        forget_app_users(&state, &app_id);
    }
    Ok(Json(shown(&own_app(&state, &admin, &app_id).await?)))
}

/// A new key: the old one's signatures are refused from now on.
#[utoipa::path(put, path = "/v2/usg/acs/corp/app/{app_id}/reset", tag = "enterprise",
    params(("app_id" = String, Path)),
    responses((status = 200, body = AppIdInfo), (status = 404, body = convene_proto::RestError)))]
pub async fn reset_key(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Path(app_id): Path<String>,
) -> ApiResult<Json<AppIdInfo>> {
    crate::corp::administrator(&admin)?;
    own_app(&state, &admin, &app_id).await?;
    let change = AppChange {
        app_key: Some(convene_core::ids::random_hex(&mut rand::rngs::OsRng, 32)),
        ..Default::default()
    };
    state.store.update_app(&app_id, &change, state.now()).await?;
    forget_app_users(&state, &app_id);
    Ok(Json(shown(&own_app(&state, &admin, &app_id).await?)))
}

#[utoipa::path(delete, path = "/v2/usg/acs/corp/app/{app_id}", tag = "enterprise",
    params(("app_id" = String, Path)),
    responses((status = 200, description = "deleted"), (status = 404, body = convene_proto::RestError)))]
pub async fn delete_app(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Path(app_id): Path<String>,
) -> ApiResult<Json<Value>> {
    crate::corp::administrator(&admin)?;
    own_app(&state, &admin, &app_id).await?;
    state.store.delete_app(&app_id).await?;
    forget_app_users(&state, &app_id);
    Ok(Json(serde_json::json!({})))
}
