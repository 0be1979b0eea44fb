//! `cloud-hub user …`: bootstrapping people from the command line (the
//! first admin of a tenant, a forgotten password, a leaver). The password
//! is read from the terminal without echo, or as one line of standard
//! input when that is not a terminal; never from the command line, where
//! `ps` and shell history would show it. Each action is in the audit log
//! as done by `cli`.

use crate::access::password;
use crate::store::access::{AuditEntry, NewUser, RoleGrant, SessionsToEnd, UserKind, UserUpdate};
use crate::store::{Store, TenantId};
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal};

/// Reads a new password (twice on a terminal) and checks the policy.
fn read_new_password(login: &str) -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password(format!("password for {login}: ")).context("reading the password")?;
        let again = rpassword::prompt_password("the same again: ").context("reading the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    password::check_policy(&password, login)
        .map_err(|reason| anyhow::anyhow!("password refused: {reason}"))?;
    Ok(password)
}

async fn audit(store: &Store, tenant: TenantId, action: &str, login: &str, after: Option<serde_json::Value>) {
    let entry = AuditEntry {
        actor_kind: "cli".into(),
        actor: std::env::var("USER").unwrap_or_else(|_| "cli".into()),
        address: "local".into(),
        action: action.into(),
        object_kind: Some("user".into()),
        object_code: Some(login.into()),
        outcome: "ok".into(),
        status: 200,
        after,
        ..AuditEntry::default()
    };
    if let Err(e) = store.append_audit(tenant, crate::store::now_ms(), entry).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

/// `user add`: a person with a password and roles (at every site).
pub async fn add(
    store: &Store,
    tenant_slug: &str,
    login: &str,
    display_name: Option<String>,
    roles: Vec<String>,
) -> anyhow::Result<()> {
    let tenant = store.tenant_id_by_slug(tenant_slug.into()).await?;
    let known = store.list_roles(tenant).await?;
    for role in &roles {
        if !known.iter().any(|r| &r.name == role) {
            let names: Vec<_> = known.iter().map(|r| r.name.as_str()).collect();
            bail!(
                "tenant {tenant_slug} has no role `{role}` (it has: {})",
                names.join(", ")
            );
        }
    }
    let password = read_new_password(login)?;
    let phc = password::hash(&password);
    store
        .create_user(
            tenant,
            NewUser {
                login: login.into(),
                display_name: display_name.unwrap_or_else(|| login.into()),
                kind: UserKind::Person,
                password_phc: Some(phc),
            },
        )
        .await?;
    let grants = roles
        .into_iter()
        .map(|role| RoleGrant { role, sites: None })
        .collect();
    let user = store.set_user_roles(tenant, login.into(), grants).await?;
    audit(
        store,
        tenant,
        "cli user add",
        login,
        serde_json::to_value(&user).ok(),
    )
    .await;
    println!("user {login} of tenant {tenant_slug} created");
    Ok(())
}

/// `user reset-password`: a new password; every session of the user ends.
pub async fn reset_password(store: &Store, tenant_slug: &str, login: &str) -> anyhow::Result<()> {
    let tenant = store.tenant_id_by_slug(tenant_slug.into()).await?;
    let Some(found) = store.login_user(tenant, login.into()).await? else {
        bail!("tenant {tenant_slug} has no user {login}");
    };
    let password = read_new_password(login)?;
    store
        .set_password(tenant, login.into(), password::hash(&password))
        .await?;
    store
        .end_sessions(
            tenant,
            SessionsToEnd::OfUser {
                user: found.user.id,
                except: None,
            },
            "password reset".into(),
            crate::store::now_ms(),
        )
        .await?;
    audit(store, tenant, "cli user reset-password", login, None).await;
    println!("password of {login} set; their sessions ended");
    Ok(())
}

/// `user disable`: cannot log in, tokens stop, sessions end.
pub async fn disable(store: &Store, tenant_slug: &str, login: &str) -> anyhow::Result<()> {
    let tenant = store.tenant_id_by_slug(tenant_slug.into()).await?;
    let Some(user) = store
        .update_user(
            tenant,
            login.into(),
            UserUpdate {
                active: Some(false),
                ..UserUpdate::default()
            },
        )
        .await?
    else {
        bail!("tenant {tenant_slug} has no user {login}");
    };
    store
        .end_sessions(
            tenant,
            SessionsToEnd::OfUser {
                user: user.id,
                except: None,
            },
            "user disabled".into(),
            crate::store::now_ms(),
        )
        .await?;
    audit(
        store,
        tenant,
        "cli user disable",
        login,
        serde_json::to_value(&user).ok(),
    )
    .await;
    println!("user {login} disabled; their sessions ended and their tokens stopped");
    Ok(())
}
