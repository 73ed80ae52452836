//! The product's enterprise user management (spec §7) for an enterprise's
//! administrators (`convene account add --admin`): add, search, show,
//! update and delete accounts, and reset a password, through the official
//! clients. An administrator sees and changes only its own enterprise's
//! accounts; anyone else's look missing. The account rules are the CLI's
//! (`admin::check_account`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use convene_proto::rest::{CorpUser, CorpUserPage, CorpUserRequest, CorpUserVmr, PasswordReset};
use convene_proto::SdkErr;
use convene_store::{NewUser, StoreError, User};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::util::json_body;
use crate::AppState;

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::bad_request(SdkErr::USG_PARAM_ERR, reason)
}

/// A page's `offset`, `limit` and `searchKey`, checked as every list call's
/// (`api::page_params`), refused with the account API's code.
pub(crate) fn page(
    offset: Option<i64>,
    limit: Option<i64>,
    search: Option<String>,
) -> ApiResult<(i64, i64, Option<String>)> {
    crate::api::page_params(offset, limit, search).map_err(|e| ApiError {
        code: SdkErr::USG_PARAM_ERR,
        ..e
    })
}

fn missing() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        SdkErr::USG_PARAM_ERR,
        "no such account in your enterprise",
    )
}

/// Only an administrator of the enterprise may.
pub(crate) fn administrator(user: &User) -> ApiResult<()> {
    if user.admin {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            SdkErr::USG_PARAM_ERR,
            "only an administrator of the enterprise may manage its accounts",
        ))
    }
}

fn shown(u: &User) -> CorpUser {
    CorpUser {
        id: u.id.0.clone(),
        user_account: u.account.clone(),
        name: u.name.clone(),
        phone: u.phone.clone().unwrap_or_default(),
        email: u.email.clone().unwrap_or_default(),
        third_account: u.third_user_id.clone().unwrap_or_default(),
        vmr_id: u.personal_room.0.clone(),
        vmr_list: vec![CorpUserVmr {
            id: u.personal_room.0.clone(),
            vmr_id: u.personal_room.0.clone(),
            vmr_name: format!("{}'s meeting room", u.name),
            vmr_mode: 1,
            status: 0,
        }],
        admin_type: if u.admin { 1 } else { 2 },
        status: 0,
        user_type: 2,
    }
}

/// The product's fields convene does not keep: refused when given with a
/// value (an empty string, a null or 0 is as good as left out).
fn refuse_others(req: &CorpUserRequest) -> ApiResult<()> {
    for (k, v) in &req.other {
        let empty = match v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Number(n) => n.as_i64() == Some(0),
            Value::Bool(b) => !b,
            _ => false,
        };
        if !empty {
            return Err(bad(format!("{k} is not something convene keeps of an account")));
        }
    }
    Ok(())
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Adds an account to the administrator's enterprise: `account`, `name`
/// and `pwd` required (convene sends no activation mail), `email`,
/// `phone`, `thirdAccount` kept.
#[utoipa::path(post, path = "/v1/usg/dcs/corp/member", tag = "enterprise",
    request_body = CorpUserRequest,
    responses((status = 200, body = CorpUser), (status = 400, body = convene_proto::RestError),
              (status = 403, body = convene_proto::RestError), (status = 409, body = convene_proto::RestError)))]
pub async fn add_user(
    State(state): State<AppState>,
    Caller(admin): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<CorpUser>> {
    administrator(&admin)?;
    let req: CorpUserRequest = json_body(&body, SdkErr::USG_PARAM_ERR)?;
    refuse_others(&req)?;
    let account = opt(&req.account).ok_or_else(|| bad("account is required"))?;
    let name = opt(&req.name).ok_or_else(|| bad("name is required"))?;
    let pwd = req.pwd.as_deref().ok_or_else(|| bad("pwd is required"))?;
    crate::admin::check_account(account, Some(pwd), name, opt(&req.email), opt(&req.phone)).map_err(bad)?;
    let hash = tokio::task::spawn_blocking({
        let pwd = pwd.to_owned();
        move || crate::auth::hash_password(&pwd)
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|_| ApiError::internal())?;
    let new = NewUser {
        enterprise_id: admin.enterprise_id.clone(),
        account: account.to_owned(),
        password_hash: Some(hash),
        name: name.to_owned(),
        email: opt(&req.email).map(str::to_owned),
        phone: opt(&req.phone).map(str::to_owned),
        app_id: None,
        third_user_id: opt(&req.third_account).map(str::to_owned),
    };
    match state.store.add_user(new, state.now()).await {
        Ok(u) => Ok(Json(shown(&u))),
        Err(StoreError::Conflict(_)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            SdkErr::USG_PARAM_ERR,
            format!("account {account:?} already exists"),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    offset: Option<i64>,
    limit: Option<i64>,
    search_key: Option<String>,
}

/// The enterprise's accounts, by account name; `searchKey` matches the
/// account, name or e-mail.
#[utoipa::path(get, path = "/v1/usg/dcs/corp/member", tag = "enterprise",
    params(("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query), ("searchKey" = Option<String>, Query)),
    responses((status = 200, body = CorpUserPage), (status = 403, body = convene_proto::RestError)))]
pub async fn search_users(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<CorpUserPage>> {
    administrator(&admin)?;
    let (offset, limit, search) = page(q.offset, q.limit, q.search_key)?;
    let (count, users) = state
        .store
        .list_users(&admin.enterprise_id, search.as_deref(), offset, limit)
        .await?;
    Ok(Json(CorpUserPage {
        offset,
        limit,
        count,
        data: users.iter().map(shown).collect(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountQuery {
    /// 0 (default): the path names the account; 1: its third-party ID.
    account_type: Option<i64>,
}

/// The enterprise's account that `account` names (`accountType` 0) or whose
/// third-party account it is (1).
async fn member(state: &AppState, admin: &User, account: &str, account_type: Option<i64>) -> ApiResult<User> {
    let found = match account_type.unwrap_or(0) {
        0 => state.store.user_by_account(account).await?,
        1 => {
            let (_, all) = state.store.list_users(&admin.enterprise_id, None, 0, i64::MAX).await?;
            all.into_iter().find(|u| u.third_user_id.as_deref() == Some(account))
        }
        n => return Err(bad(format!("accountType must be 0 or 1, not {n}"))),
    };
    found
        .filter(|u| u.enterprise_id == admin.enterprise_id)
        .ok_or_else(missing)
}

#[utoipa::path(get, path = "/v1/usg/dcs/corp/member/{account}", tag = "enterprise",
    params(("account" = String, Path), ("accountType" = Option<i64>, Query)),
    responses((status = 200, body = CorpUser), (status = 403, body = convene_proto::RestError), (status = 404, body = convene_proto::RestError)))]
pub async fn show_user(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Path(account): Path<String>,
    Query(q): Query<AccountQuery>,
) -> ApiResult<Json<CorpUser>> {
    administrator(&admin)?;
    Ok(Json(shown(&member(&state, &admin, &account, q.account_type).await?)))
}

/// Changes an account's `name`, `email`, `phone` (fields left out stay).
#[utoipa::path(put, path = "/v1/usg/dcs/corp/member/{account}", tag = "enterprise",
    request_body = CorpUserRequest,
    params(("account" = String, Path), ("accountType" = Option<i64>, Query)),
    responses((status = 200, body = CorpUser), (status = 400, body = convene_proto::RestError), (status = 404, body = convene_proto::RestError)))]
pub async fn update_user(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Path(account): Path<String>,
    Query(q): Query<AccountQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<CorpUser>> {
    administrator(&admin)?;
    let mut u = member(&state, &admin, &account, q.account_type).await?;
    let req: CorpUserRequest = json_body(&body, SdkErr::USG_PARAM_ERR)?;
    refuse_others(&req)?;
    if req.pwd.is_some() || req.account.is_some() {
        return Err(bad(
            "an account's name and password are not changed here (see the password reset)",
        ));
    }
    if let Some(n) = opt(&req.name) {
        u.name = n.to_owned();
    }
    if req.email.is_some() {
        u.email = opt(&req.email).map(str::to_owned);
    }
    if req.phone.is_some() {
        u.phone = opt(&req.phone).map(str::to_owned);
    }
    crate::admin::check_account(&u.account, None, &u.name, u.email.as_deref(), u.phone.as_deref()).map_err(bad)?;
    state
        .store
        .update_user(&u.id, &u.name, u.email.as_deref(), u.phone.as_deref())
        .await?;
    state.forget_user(&u.id);
    Ok(Json(shown(&u)))
}

/// Deletes accounts (body: a list of accounts, or third-party IDs with
/// `accountType` 1): their sessions end, their booked meetings are
/// cancelled, their personal rooms go; their held meetings stay in
/// history. An administrator cannot delete itself; an unknown account
/// refuses the whole call before anything is deleted.
#[utoipa::path(post, path = "/v1/usg/dcs/corp/member/delete", tag = "enterprise",
    request_body = Vec<String>,
    params(("accountType" = Option<i64>, Query)),
    responses((status = 200, description = "deleted"), (status = 400, body = convene_proto::RestError), (status = 404, body = convene_proto::RestError)))]
pub async fn delete_users(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Query(q): Query<AccountQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    administrator(&admin)?;
    let accounts: Vec<String> = json_body(&body, SdkErr::USG_PARAM_ERR)?;
    if accounts.is_empty() {
        return Err(bad("the list of accounts is empty"));
    }
    let mut users = Vec::new();
    for a in &accounts {
        let u = member(&state, &admin, a, q.account_type).await?;
        if u.id == admin.id {
            return Err(bad("an administrator cannot delete its own account"));
        }
        users.push(u);
    }
    for u in users {
        state.store.delete_user(&u.id, state.now()).await?;
        state.forget_user(&u.id);
    }
    Ok(Json(serde_json::json!({})))
}

#[derive(Debug, Deserialize)]
pub struct ResetRequest {
    account: Option<String>,
}

/// Resets an account's password (`{account}`): a new random one, answered
/// to the administrator to hand over (convene's extra `newPassword`; the
/// product mails a link instead); the account's sessions end.
#[utoipa::path(put, path = "/v1/usg/acs/password/admin/reset", tag = "enterprise",
    request_body(description = "`{account}`", content_type = "application/json"),
    responses((status = 200, body = PasswordReset), (status = 404, body = convene_proto::RestError)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Caller(admin): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<PasswordReset>> {
    administrator(&admin)?;
    let req: ResetRequest = json_body(&body, SdkErr::USG_PARAM_ERR)?;
    let account = req
        .account
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("account is required"))?;
    let u = member(&state, &admin, &account, Some(0)).await?;
    let new_password = convene_core::ids::random_hex(&mut rand::thread_rng(), 8);
    let hash = tokio::task::spawn_blocking({
        let p = new_password.clone();
        move || crate::auth::hash_password(&p)
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|_| ApiError::internal())?;
    state.store.set_password(&u.id, &hash).await?;
    state.forget_user(&u.id);
    Ok(Json(PasswordReset { new_password }))
}
