//! Master-data import and export through the real router (issue 5's
//! acceptance: a CSV or .xlsx with errors reports every bad row with its
//! row number, column and reason and imports nothing; a clean file imports
//! fully; export then import round-trips), every case once on SQLite
//! (`sqlite::…`) and once on PostgreSQL (`postgres::…`, at
//! `MES_TEST_DATABASE_URL`, skipped with a printed reason when there is no
//! server).

// The store suite's harness and the API suite's hub; this suite uses part
// of each.
#[allow(dead_code)]
#[path = "../store_suite/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../api_suite/hub.rs"]
mod hub;

mod approvals;
mod imported;
mod rejected;
mod world;

/// Makes, for each case `module::name`, the tests `sqlite::name` and
/// `postgres::name`.
macro_rules! on_both_backends {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::harness::TestDb::sqlite();
                    crate::$module::$case(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = crate::harness::TestDb::postgres(stringify!($case)) else {
                        return;
                    };
                    crate::$module::$case(&db).await;
                }
            )*
        }
    };
}

on_both_backends!(
    rejected::csv_files_with_errors_list_every_bad_row_and_store_nothing,
    rejected::xlsx_workbook_with_errors_lists_every_bad_row_of_every_sheet_and_stores_nothing,
    rejected::xlsx_single_sheet_with_errors_names_the_sheet,
    rejected::bodies_that_are_not_files_are_refused_in_the_error_shape,
    imported::clean_csv_files_import_fully_and_replace_on_reimport,
    imported::clean_workbook_imports_fully_with_its_own_materials,
    imported::export_then_import_round_trips,
    imported::imports_never_reach_another_tenant,
    approvals::approval_files_report_bad_rows_and_round_trip,
);
