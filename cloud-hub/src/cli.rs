//! `cloud-hub`: the hub's command line: serve, check a config, and set up
//! tenants, sites, agents and API tokens.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "cloud-hub", version, about = "Shop-floor MES hub: ingest, ERP, API")]
struct Cli {
    /// Configuration file (TOML); defaults apply when omitted.
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    /// Log JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve,
    /// Check a configuration file and print the problem found.
    CheckConfig {
        /// Configuration file (TOML).
        file: PathBuf,
    },
    /// Tenants (companies).
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Sites (factories) of a tenant.
    Site {
        #[command(subcommand)]
        action: SiteAction,
    },
    /// Edge agents.
    Agent {
        #[command(subcommand)]
        action: AgentAction,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// People who log in (the password is prompted for, or read as one
    /// line of standard input; never taken from the command line).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Rebuild the stock ledger and operation facts from the event log
    /// (after fixing master data that made events unbookable, or to check
    /// the projection). Document movements entered at the hub are kept.
    Rebuild {
        /// Only this tenant (short name); all tenants when omitted.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Check the stock ledger against the event log: name every
    /// stock-moving event the projection passed without booking it (and
    /// without a projection issue). Exits with status 1 when any is found;
    /// `rebuild` then books them.
    CheckBooks {
        /// Only this tenant (short name); all tenants when omitted.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Book the set-aside events (projection issues) again, after fixing
    /// the master data that stopped them; the hub may keep running. Those
    /// that book lose their issue, the others keep one with today's
    /// reason. Exits with status 1 when any stays set aside.
    Reapply {
        /// Only this tenant (short name); all tenants when omitted.
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum TenantAction {
    /// Create a tenant.
    Add {
        /// Short name (`acme`).
        slug: String,
    },
}

#[derive(Subcommand)]
enum SiteAction {
    /// Create a site.
    Add {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// Short name of the site (`plant-1`).
        slug: String,
    },
}

#[derive(Subcommand)]
enum AgentAction {
    /// Create an agent; prints its id and token once.
    Add {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// The site's short name.
        #[arg(long)]
        site: String,
        /// A name for the gateway.
        #[arg(long, default_value = "gateway")]
        name: String,
    },
    /// Disable an agent: its token stops authenticating (its events and
    /// sync state are kept; `enable` undoes it).
    Disable {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// The agent's id (from `agent add` or `GET /api/v1/agents`).
        agent_id: String,
    },
    /// Enable a disabled agent again.
    Enable {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// The agent's id.
        agent_id: String,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create a user with a password and roles (e.g. the first admin).
    Add {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        login: String,
        /// A role to grant at every site (repeat for several).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// The name shown to others (default: the login).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Set a user's password; their sessions end.
    ResetPassword {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        login: String,
    },
    /// Disable a user: no login, tokens stop, sessions end.
    Disable {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// The login name.
        #[arg(long)]
        login: String,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create an API token of the tenant's service user (admin role unless
    /// changed); prints it once. Tokens of a person: POST /api/v1/users/{login}/tokens.
    Add {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// What the token is for.
        #[arg(long, default_value = "api")]
        name: String,
    },
    /// Revoke a tenant's API tokens of this name: they stop authenticating.
    Revoke {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
        /// The token's name.
        name: String,
    },
    /// List a tenant's API tokens (names and dates; never the token).
    List {
        /// The tenant's short name.
        #[arg(long)]
        tenant: String,
    },
}

/// Parses the command line and runs the command; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve) {
        // Once, before anything else: see `allocator.rs`.
        crate::allocator::purge_promptly();
    }
    crate::telemetry::init_logging(cli.log_json);
    if let Command::CheckConfig { file } = &cli.command {
        return match crate::config::load(Some(file)) {
            Ok(_) => {
                println!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    let config = match crate::config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.config.is_none() {
        // Never silently: an admin command without -c works on whatever
        // database the defaults name, which may not be the one meant.
        eprintln!(
            "note: no configuration file (-c); using the defaults, database {}",
            config.database.redacted_url()
        );
    }
    match run(cli.command, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, config: crate::config::HubConfig) -> anyhow::Result<()> {
    use crate::app::open_store;
    match command {
        Command::Serve => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                let shutdown = CancellationToken::new();
                let trigger = shutdown.clone();
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    tracing::info!("shutting down");
                    trigger.cancel();
                });
                #[cfg(unix)]
                {
                    let trigger = shutdown.clone();
                    if let Ok(mut term) =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        tokio::spawn(async move {
                            term.recv().await;
                            trigger.cancel();
                        });
                    }
                }
                crate::app::serve(config, shutdown).await
            })
        }
        Command::CheckConfig { .. } => Ok(()),
        Command::Tenant {
            action: TenantAction::Add { slug },
        } => {
            let id = open_store(&config)?.create_tenant(&slug)?;
            println!("tenant {slug} created (id {id})");
            Ok(())
        }
        Command::Site {
            action: SiteAction::Add { tenant, slug },
        } => {
            let store = open_store(&config)?;
            let id = store.create_site(&tenant, &slug)?;
            block_on(async {
                let tenant_id = tenant_id_of(&store, &tenant).await?;
                crate::admin::add_site_settings(&store, tenant_id, &slug).await
            })?;
            println!("site {slug} of tenant {tenant} created (id {id})");
            Ok(())
        }
        Command::Agent {
            action: AgentAction::Disable { tenant, agent_id },
        } => set_agent_disabled(&config, &tenant, &agent_id, true),
        Command::Agent {
            action: AgentAction::Enable { tenant, agent_id },
        } => set_agent_disabled(&config, &tenant, &agent_id, false),
        Command::Token {
            action: TokenAction::Revoke { tenant, name },
        } => {
            let store = open_store(&config)?;
            let revoked = block_on(async {
                let tenant_id = tenant_id_of(&store, &tenant).await?;
                Ok(store.revoke_api_tokens(tenant_id, name.clone()).await?)
            })?;
            if revoked == 0 {
                anyhow::bail!("tenant {tenant} has no valid API token named {name}");
            }
            println!("{revoked} API token(s) named {name} of tenant {tenant} revoked");
            Ok(())
        }
        Command::Token {
            action: TokenAction::List { tenant },
        } => {
            let store = open_store(&config)?;
            let tokens = block_on(async {
                let tenant_id = tenant_id_of(&store, &tenant).await?;
                Ok(store.list_api_tokens(tenant_id).await?)
            })?;
            for t in tokens {
                let state = t.revoked_at.map_or("valid".to_string(), |at| {
                    format!("revoked {}", mes_protocols::Timestamp::from_unix_millis(at))
                });
                println!(
                    "{}\tcreated {}\t{state}",
                    t.name,
                    mes_protocols::Timestamp::from_unix_millis(t.created_at)
                );
            }
            Ok(())
        }
        Command::Agent {
            action: AgentAction::Add { tenant, site, name },
        } => {
            let agent = open_store(&config)?.create_agent(&tenant, &site, &name)?;
            println!("agent_id = \"{}\"", agent.agent_id);
            println!("token    = \"{}\"", agent.token);
            eprintln!(
                "The token is shown only now; the hub keeps only its hash. Give it to the agent as MES_AGENT_TOKEN."
            );
            Ok(())
        }
        Command::Token {
            action: TokenAction::Add { tenant, name },
        } => {
            let token = open_store(&config)?.create_api_token(&tenant, &name)?;
            println!("token = \"{}\"", token.token);
            eprintln!("The token is shown only now; the hub keeps only its hash.");
            Ok(())
        }
        Command::User { action } => {
            let store = open_store(&config)?;
            block_on(async {
                match action {
                    UserAction::Add {
                        tenant,
                        login,
                        roles,
                        display_name,
                    } => crate::user_admin::add(&store, &tenant, &login, display_name, roles).await,
                    UserAction::ResetPassword { tenant, login } => {
                        crate::user_admin::reset_password(&store, &tenant, &login).await
                    }
                    UserAction::Disable { tenant, login } => {
                        crate::user_admin::disable(&store, &tenant, &login).await
                    }
                }
            })
        }
        Command::Rebuild { tenant } => {
            let store = open_store(&config)?;
            block_on(async {
                for (id, slug) in chosen_tenants(&store, tenant.as_deref()).await? {
                    let started = std::time::Instant::now();
                    let done = crate::projection::rebuild(&store, id, config.projection.batch.max(1)).await?;
                    println!(
                        "tenant {slug}: {} events projected, {} ledger rows, {} events not bookable, in {:.1} s",
                        done.events,
                        done.rows,
                        done.issues,
                        started.elapsed().as_secs_f64()
                    );
                }
                Ok(())
            })
        }
        Command::CheckBooks { tenant } => {
            let store = open_store(&config)?;
            let unbooked = block_on(async {
                let mut unbooked = 0;
                for (id, slug) in chosen_tenants(&store, tenant.as_deref()).await? {
                    let report = crate::projection::check_books(&store, id).await?;
                    println!(
                        "tenant {slug}: {} stock-moving events checked through event row {}, {} unbooked",
                        report.events_checked,
                        report.through_event_row,
                        report.unbooked.len()
                    );
                    for e in &report.unbooked {
                        println!(
                            "  unbooked: event {} ({}, row {}): {} ledger rows missing",
                            e.event_id, e.kind, e.event_row, e.missing_rows
                        );
                    }
                    unbooked += report.unbooked.len();
                }
                anyhow::Ok(unbooked)
            })?;
            if unbooked > 0 {
                anyhow::bail!("{unbooked} events are not booked; `cloud-hub rebuild` books them");
            }
            Ok(())
        }
        Command::Reapply { tenant } => {
            let store = open_store(&config)?;
            let left = block_on(async {
                let mut left = 0;
                for (id, slug) in chosen_tenants(&store, tenant.as_deref()).await? {
                    loop {
                        let done = crate::projection::reapply_issues(&store, id, 1000).await?;
                        println!(
                            "tenant {slug}: {} set-aside events re-applied, {} booked ({} ledger rows), {} still set aside",
                            done.events, done.booked, done.rows, done.set_aside
                        );
                        // Another pass only helps when this one booked some.
                        if done.booked == 0 || done.events < 1000 {
                            left += done.set_aside;
                            break;
                        }
                    }
                }
                anyhow::Ok(left)
            })?;
            if left > 0 {
                anyhow::bail!("{left} events are still set aside; `GET /api/v1/projection/issues` says why");
            }
            Ok(())
        }
    }
}

/// Runs `f` on a runtime of its own (the CLI is synchronous).
fn block_on<T>(f: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Runtime::new()?.block_on(f)
}

/// The id of the tenant with short name `slug`.
async fn tenant_id_of(store: &crate::store::Store, slug: &str) -> anyhow::Result<crate::store::TenantId> {
    chosen_tenants(store, Some(slug))
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .next()
        .ok_or_else(|| anyhow::anyhow!("tenant {slug} not found"))
}

/// `agent disable` / `agent enable`.
fn set_agent_disabled(
    config: &crate::config::HubConfig,
    tenant_slug: &str,
    agent_id: &str,
    disabled: bool,
) -> anyhow::Result<()> {
    let store = crate::app::open_store(config)?;
    let found = block_on(async {
        let tenant_id = tenant_id_of(&store, tenant_slug).await?;
        Ok(store
            .set_agent_disabled(tenant_id, agent_id.to_string(), disabled)
            .await?)
    })?;
    if !found {
        anyhow::bail!("tenant {tenant_slug} has no agent {agent_id}");
    }
    let done = if disabled { "disabled" } else { "enabled" };
    println!("agent {agent_id} of tenant {tenant_slug} {done}");
    Ok(())
}

/// Every tenant (id, short name), or only `wanted`, which must exist.
async fn chosen_tenants(
    store: &crate::store::Store,
    wanted: Option<&str>,
) -> anyhow::Result<Vec<(crate::store::TenantId, String)>> {
    let tenants = store.tenants().await?;
    if let Some(wanted) = wanted
        && !tenants.iter().any(|(_, slug)| slug == wanted)
    {
        anyhow::bail!("tenant {wanted} not found");
    }
    Ok(tenants
        .into_iter()
        .filter(|(_, slug)| wanted.is_none_or(|w| w == slug))
        .collect())
}
