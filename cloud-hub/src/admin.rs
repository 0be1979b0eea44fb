//! Administrative steps shared by the command line and the API that are
//! more than one store call.

use crate::error::HubError;
use crate::masterdata::records::SiteSettings;
use crate::masterdata::service;
use crate::store::Store;
use crate::store::TenantId;
use mes_protocols::Code;

/// Gives a new site its settings record (defaults, named after the site),
/// so it is listed by `GET /api/v1/sites` from the start; a site that has
/// one already keeps it.
pub async fn add_site_settings(store: &Store, tenant_id: TenantId, site: &str) -> anyhow::Result<()> {
    let code = Code::parse(site).map_err(|e| anyhow::anyhow!("site `{site}`: {e}"))?;
    let record = SiteSettings {
        code,
        name: site.to_string(),
        negative_stock: Default::default(),
        production_location: None,
        utc_offset_minutes: 0,
        calendar: None,
        changeover_planned: false,
        material_waits: Default::default(),
        unapproved_receipts: Default::default(),
    };
    match service::create(store, tenant_id, record).await {
        Ok(_) | Err(HubError::Exists { .. }) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("the settings of site {site}: {e}")),
    }
}
