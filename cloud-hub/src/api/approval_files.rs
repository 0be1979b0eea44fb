//! Manufacturers and approved-manufacturer lists as files (issue 21):
//! `POST /api/v1/import/{manufacturers,material-approvals}` (CSV or
//! `.xlsx`, optional `?sheet=`), `GET /api/v1/export/<name>.csv`. The
//! same contract and routes as the other master-data files
//! (`masterdata_files.rs`, [`FileRoutes`]): all or nothing, 422
//! `import_failed` listing every bad row. Importing lists needs
//! `master_data:approve`, like writing one.

use super::book::RouteBook;
use super::masterdata_files::{FileRoutes, Imported, add_file_routes, imported};
use crate::error::HubError;
use crate::masterdata::approval_files;
use crate::masterdata::files::{Counts, Format};
use crate::store::rights::Action;
use crate::store::{Store, TenantId};
use serde_json::{Value, json};

/// The two file kinds.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Manufacturers,
    Approvals,
}

impl FileRoutes for Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Manufacturers => "manufacturers",
            Kind::Approvals => "material-approvals",
        }
    }

    fn replaces(self) -> &'static str {
        "a material's list by the file's rows of it"
    }

    /// The right that writes the kind.
    fn write_right(self) -> Action {
        match self {
            Kind::Manufacturers => Action::Edit,
            Kind::Approvals => Action::Approve,
        }
    }

    /// `{"<name>": counts}`.
    fn summary(self, book: &mut RouteBook) -> Value {
        let name = self.name();
        let counts = book.schema::<Counts>();
        json!({"type": "object", "required": [name], "properties": {name: counts}})
    }

    async fn import(self, store: &Store, tenant: TenantId, bytes: Vec<u8>, format: Format) -> Imported {
        let counts = match self {
            Kind::Manufacturers => approval_files::import_manufacturers(store, tenant, bytes, format).await?,
            Kind::Approvals => approval_files::import_approvals(store, tenant, bytes, format).await?,
        };
        Ok(imported(counts.created > 0, json!({ self.name(): counts })))
    }

    async fn export(self, store: &Store, tenant: TenantId) -> Result<String, HubError> {
        match self {
            Kind::Manufacturers => approval_files::export_manufacturers(store, tenant).await,
            Kind::Approvals => approval_files::export_approvals(store, tenant).await,
        }
    }
}

/// Adds the import and export routes of both kinds to `book`.
pub(crate) fn add_routes(book: &mut RouteBook) {
    add_file_routes(book, &[Kind::Manufacturers, Kind::Approvals]);
}
