//! Administration shared by the CLI subcommands and the dev mode: accounts,
//! App IDs, shared rooms.

use std::path::Path;

use anyhow::{bail, Context};
use convene_core::{EnterpriseId, RoomId};
use convene_store::{App, NewUser, Store, StoreError, User};

use crate::auth::hash_password;
use crate::util::now;

pub const DEFAULT_ENTERPRISE: &str = "Default Enterprise";
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The enterprise an admin command acts on: the given one, or the default.
pub async fn enterprise(store: &dyn Store, id: Option<&str>) -> anyhow::Result<EnterpriseId> {
    match id {
        Some(id) => match store.enterprise(&EnterpriseId(id.to_owned())).await? {
            Some(e) => Ok(e.id),
            None => bail!("no enterprise {id:?}"),
        },
        None => Ok(store.ensure_default_enterprise(DEFAULT_ENTERPRISE, now()).await?.id),
    }
}

pub struct AccountSpec<'a> {
    pub account: &'a str,
    pub password: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub enterprise: Option<&'a str>,
    /// An administrator of its enterprise.
    pub admin: bool,
}

/// The rules of an account's fields, for the CLI and the enterprise API
/// alike: the reason, naming the field, when one is not allowed.
pub fn check_account(
    account: &str,
    password: Option<&str>,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<(), String> {
    if account.is_empty()
        || account.len() > 128
        || account.contains(':')
        || account.contains('/')
        || account.chars().any(char::is_whitespace)
    {
        return Err("account must be 1 to 128 characters without ':', '/' or spaces".into());
    }
    if password.is_some_and(|p| p.chars().count() < MIN_PASSWORD_CHARS || p.len() > 1024) {
        return Err(format!(
            "the password must have {MIN_PASSWORD_CHARS} to 1024 characters"
        ));
    }
    if name.trim().is_empty() || name.chars().count() > 64 {
        return Err("name must be 1 to 64 characters".into());
    }
    convene_core::text::check_text("name", name, false)?;
    if email.is_some_and(|e| !e.is_empty() && !convene_core::create::is_email(e)) {
        return Err("email is not an e-mail address".into());
    }
    if phone.is_some_and(|p| {
        let digits = p.strip_prefix('+').unwrap_or(p);
        !p.is_empty() && (digits.is_empty() || digits.len() > 32 || !digits.bytes().all(|b| b.is_ascii_digit()))
    }) {
        return Err("phone must be digits, with an optional leading +".into());
    }
    Ok(())
}

pub async fn add_account(store: &dyn Store, spec: AccountSpec<'_>) -> anyhow::Result<User> {
    let account = spec.account.trim();
    if let Err(e) = check_account(account, Some(spec.password), spec.name, spec.email, spec.phone) {
        bail!("{e}");
    }
    let enterprise_id = enterprise(store, spec.enterprise).await?;
    let user = NewUser {
        enterprise_id,
        account: account.to_owned(),
        password_hash: Some(hash_password(spec.password)?),
        name: spec.name.trim().to_owned(),
        email: spec.email.map(str::to_owned),
        phone: spec.phone.map(str::to_owned),
        app_id: None,
        third_user_id: None,
    };
    let mut user = match store.add_user(user, now()).await {
        Err(StoreError::Conflict(_)) => bail!("account {account:?} already exists"),
        other => other?,
    };
    if spec.admin {
        store.set_admin(&user.id, true).await?;
        user.admin = true;
    }
    Ok(user)
}

/// Registers an App ID; the key is generated unless given.
pub async fn add_app(
    store: &dyn Store,
    app_id: &str,
    app_key: Option<&str>,
    enterprise_id: Option<&str>,
) -> anyhow::Result<App> {
    if app_id.is_empty() || app_id.len() > 64 || !app_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        bail!("--app-id must be 1 to 64 of A-Z a-z 0-9 - _ .");
    }
    let key = match app_key {
        Some(k) if k.len() < 16 => bail!("--app-key must have at least 16 characters"),
        Some(k) => k.to_owned(),
        None => convene_core::ids::random_hex(&mut rand::rngs::OsRng, 32),
    };
    let enterprise_id = enterprise(store, enterprise_id).await?;
    let app = App {
        app_id: app_id.to_owned(),
        app_key: key,
        enterprise_id,
    };
    match store.add_app(app, now()).await {
        Err(StoreError::Conflict(_)) => bail!("app {app_id:?} already exists"),
        other => Ok(other?),
    }
}

pub async fn add_shared_rooms(
    store: &dyn Store,
    count: usize,
    enterprise_id: Option<&str>,
) -> anyhow::Result<Vec<RoomId>> {
    let e = enterprise(store, enterprise_id).await?;
    let mut rooms = Vec::with_capacity(count);
    for _ in 0..count {
        rooms.push(store.add_shared_room(&e, now()).await?);
    }
    Ok(rooms)
}

const DEV_FILE: &str = "dev-login.txt";
const DEV_ACCOUNT: &str = "dev";
const DEV_APP: &str = "convene-dev";

/// Dev mode: a default enterprise, the account `dev` with a random password,
/// the App ID `convene-dev` and two shared rooms, made once; the secrets are
/// kept (mode 0600) in the data folder so that every start can print them.
pub async fn ensure_dev_setup(store: &dyn Store, data_dir: &Path) -> anyhow::Result<()> {
    let file = data_dir.join(DEV_FILE);
    if store.user_by_account(DEV_ACCOUNT).await?.is_some() && file.exists() {
        return Ok(());
    }
    if store.user_by_account(DEV_ACCOUNT).await?.is_some() {
        bail!(
            "account {DEV_ACCOUNT:?} exists but {} is gone; remove the account or the data folder",
            file.display()
        );
    }
    let password = convene_core::ids::random_hex(&mut rand::rngs::OsRng, 8);
    add_account(
        store,
        AccountSpec {
            account: DEV_ACCOUNT,
            password: &password,
            name: "Dev User",
            email: None,
            phone: None,
            enterprise: None,
            admin: false,
        },
    )
    .await?;
    let app = match store.app(DEV_APP).await? {
        Some(app) => app,
        None => add_app(store, DEV_APP, None, None).await?,
    };
    add_shared_rooms(store, 2, None).await?;
    let text = format!(
        "account={DEV_ACCOUNT}\npassword={password}\napp_id={}\napp_key={}\n",
        app.app_id, app.app_key
    );
    crate::tls::write_private_file(&file, text.as_bytes()).with_context(|| format!("writing {}", file.display()))?;
    Ok(())
}

/// The dev credentials, as `(account, password, app_id, app_key)`.
pub fn read_dev_login(data_dir: &Path) -> Option<(String, String, String, String)> {
    let text = std::fs::read_to_string(data_dir.join(DEV_FILE)).ok()?;
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(str::to_owned)
    };
    Some((get("account")?, get("password")?, get("app_id")?, get("app_key")?))
}

pub fn print_dev_login(data_dir: &Path, url: &str) {
    if let Some((account, password, app_id, app_key)) = read_dev_login(data_dir) {
        println!("dev mode: open {url}/ and log in with account {account:?} and password {password:?}");
        println!(
            "dev mode: App ID {app_id:?}, app key {app_key:?} (kept in {})",
            data_dir.join(DEV_FILE).display()
        );
    }
}
