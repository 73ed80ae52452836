//! Enterprise event push (spec §6.1), its configuration: an enterprise's
//! administrators set one subscription (`webhook/link-config`), and
//! enabling it (`webhook/change-status` 0) sends `meeting.verify`, which the
//! receiver must answer by echoing the nonce. The rules are
//! `convene_core::webhook`'s; [`push`] signs and sends one event.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use convene_core::webhook::{check_config, signed_data, verified, WebhookStatus};
use convene_proto::rest::{WebhookConfigAnswer, WebhookConfigRequest, WebhookEvent, WebhookPush};
use convene_proto::SdkErr;
use convene_store::Webhook;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::util::json_body;
use crate::AppState;

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::bad_request(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason)
}

fn missing() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        SdkErr::CMS_CONF_DATA_NOT_FOUND,
        "your enterprise has no such webhook",
    )
}

/// Only an administrator of the enterprise may (this is a meeting API: its
/// code is the meeting family's).
fn administrator(user: &convene_store::User) -> ApiResult<()> {
    if user.admin {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS,
            "only an administrator of the enterprise may set its webhook",
        ))
    }
}

/// Signs and POSTs one event (its `eventInfo`, serialized once) to a
/// subscription: `(HTTP status, body)` of the answer, or why it could not
/// be sent. `request_id` goes in
/// `X-Request-ID` (stable per event, so a receiver can drop repeats).
pub async fn push(
    http: &reqwest::Client,
    w: &Webhook,
    event_info: &str,
    nonce: &str,
    request_id: &str,
    now_ms: i64,
) -> Result<(u16, Vec<u8>), String> {
    use hmac::Mac;
    let raw = serde_json::value::RawValue::from_string(event_info.to_owned()).map_err(|e| e.to_string())?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(w.subscriber_key.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(signed_data(&w.subscriber_id, now_ms, nonce, event_info).as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let body = serde_json::to_vec(&WebhookPush {
        app_id: &w.subscriber_id,
        timestamp: now_ms,
        nonce,
        signature: &signature,
        event_info: &raw,
    })
    .map_err(|e| e.to_string())?;
    let r = http
        .post(&w.url)
        .header("Content-Type", "application/json;charset=UTF-8")
        .header("X-Request-ID", request_id)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("sending to {}: {e}", w.url))?;
    let status = r.status().as_u16();
    let body = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    Ok((status, body))
}

/// The subscription `id` of the caller's enterprise.
async fn own(state: &AppState, user: &convene_store::User, id: Option<&str>) -> ApiResult<Webhook> {
    let id = id.filter(|i| !i.is_empty()).ok_or_else(|| bad("id is required"))?;
    state
        .store
        .webhook_of(&user.enterprise_id)
        .await?
        .filter(|w| w.id == id)
        .ok_or_else(missing)
}

/// Sets the enterprise's subscription (replacing one it had), not started:
/// enable it with `change-status` 0.
#[utoipa::path(post, path = "/v1/mmc/management/webhook/link-config", tag = "webhooks",
    request_body = WebhookConfigRequest,
    responses((status = 200, description = "set, not started"), (status = 400, body = convene_proto::RestError), (status = 403, body = convene_proto::RestError)))]
pub async fn set_config(
    State(state): State<AppState>,
    Caller(admin): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    administrator(&admin)?;
    let req: WebhookConfigRequest = json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    if req
        .corp_id
        .as_deref()
        .is_some_and(|c| !c.is_empty() && c != admin.enterprise_id.as_str())
    {
        return Err(bad("corpId must be your own enterprise's"));
    }
    if req.sp_id.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(bad("spId: convene has no service-provider tenants"));
    }
    let id = req.subscriber_id.unwrap_or_default();
    let key = req.subscriber_key.unwrap_or_default();
    let url = req.url.unwrap_or_default();
    check_config(&id, &key, &url)?;
    let now = state.now();
    let webhook_id = convene_core::ids::random_hex(&mut rand::thread_rng(), 16);
    state
        .store
        .put_webhook(&Webhook {
            id: webhook_id,
            enterprise_id: admin.enterprise_id.clone(),
            subscriber_id: id,
            subscriber_key: key,
            url,
            status: WebhookStatus::NotStarted.number(),
            created_at: now,
            updated_at: now,
        })
        .await?;
    Ok(Json(serde_json::json!({})))
}

/// The enterprise's subscription (its key is not shown).
#[utoipa::path(get, path = "/v1/mmc/management/webhook/link-config", tag = "webhooks",
    responses((status = 200, body = WebhookConfigAnswer), (status = 404, body = convene_proto::RestError)))]
pub async fn show_config(State(state): State<AppState>, Caller(admin): Caller) -> ApiResult<Json<WebhookConfigAnswer>> {
    administrator(&admin)?;
    let w = state
        .store
        .webhook_of(&admin.enterprise_id)
        .await?
        .ok_or_else(missing)?;
    Ok(Json(WebhookConfigAnswer {
        return_code: 0,
        return_desc: "success".into(),
        id: w.id,
        subscriber_id: w.subscriber_id,
        url: w.url,
        status: w.status,
    }))
}

#[derive(Debug, Deserialize)]
pub struct IdQuery {
    id: Option<String>,
    status: Option<i64>,
}

#[utoipa::path(delete, path = "/v1/mmc/management/webhook/link-config", tag = "webhooks",
    params(("id" = String, Query)),
    responses((status = 200, description = "deleted"), (status = 404, body = convene_proto::RestError)))]
pub async fn delete_config(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Query(q): Query<IdQuery>,
) -> ApiResult<Json<Value>> {
    administrator(&admin)?;
    let w = own(&state, &admin, q.id.as_deref()).await?;
    state.store.delete_webhook(&w.id).await?;
    Ok(Json(serde_json::json!({})))
}

/// `status` 0 enables (after the receiver echoes `meeting.verify`'s
/// nonce), 1 disables, 2 locks.
#[utoipa::path(put, path = "/v1/mmc/management/webhook/change-status", tag = "webhooks",
    params(("id" = String, Query), ("status" = i64, Query)),
    responses((status = 200, description = "changed"), (status = 400, description = "bad status, or the receiver failed the verification", body = convene_proto::RestError), (status = 404, body = convene_proto::RestError)))]
pub async fn change_status(
    State(state): State<AppState>,
    Caller(admin): Caller,
    Query(q): Query<IdQuery>,
) -> ApiResult<Json<Value>> {
    administrator(&admin)?;
    let w = own(&state, &admin, q.id.as_deref()).await?;
    let status = q
        .status
        .and_then(WebhookStatus::from_number)
        .ok_or_else(|| bad("status must be 0 (enable), 1 (disable) or 2 (lock)"))?;
    if status == WebhookStatus::Enabled {
        let now_ms = crate::util::now_ms();
        let nonce = convene_core::ids::random_hex(&mut rand::thread_rng(), 16);
        let verify = serde_json::to_string(&WebhookEvent {
            event: convene_core::webhook::event::VERIFY.into(),
            timestamp: now_ms,
            payload: None,
        })
        .map_err(|_| ApiError::internal())?;
        let (code, body) = push(&state.events.http, &w, &verify, &nonce, &nonce, now_ms)
            .await
            .map_err(bad)?;
        verified(code, &body, &nonce).map_err(|e| bad(format!("the receiver failed the verification: {e}")))?;
    }
    state
        .store
        .set_webhook_status(&w.id, status.number(), state.now())
        .await?;
    Ok(Json(serde_json::json!({})))
}
