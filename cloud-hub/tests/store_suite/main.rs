//! One test suite for the hub's store, run on both backends: every case
//! below runs once on SQLite (`sqlite::…`, a temporary file) and once on
//! PostgreSQL (`postgres::…`, a schema of its own in the database at
//! `MES_TEST_DATABASE_URL`, skipped with a printed reason when there is no
//! server). Two backends, one behaviour: a case that passes on one and fails
//! on the other is a bug in the other.

mod access;
mod approval;
mod clock;
mod concurrency;
mod costing;
mod fixtures;
mod floor;
mod harness;
mod ingest;
mod leases;
mod ledger;
mod machines;
mod poison;
mod reapply;
mod reports;
mod tenancy;

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
    approval::backward_trace_names_the_maker_of_every_input_two_levels_down,
    approval::unapproved_receipts_are_warned_or_refused_and_reported_in_stock,
    approval::downlink_carries_lists_makers_and_customers,
    access::a_new_tenant_starts_with_the_built_in_roles,
    access::the_audit_log_refuses_update_and_delete,
    access::a_credential_made_during_a_change_keeps_none_of_the_old_rights,
    tenancy::names_are_unique_where_they_should_be,
    tenancy::tokens_find_their_agent_and_tenant_only,
    tenancy::an_unknown_tenant_is_an_error_not_an_empty_answer,
    tenancy::agent_list_shows_each_tenant_its_own_agents,
    tenancy::reopening_keeps_everything_and_migrates_once,
    ingest::new_batch_is_stored,
    ingest::retried_batch_is_stored_once,
    ingest::overlapping_batch_stores_only_its_new_events,
    ingest::gap_is_refused_and_recorded,
    ingest::conflict_is_refused_whole,
    ingest::event_held_twice_by_the_agent_is_a_retry,
    ingest::new_incarnation_is_an_anomaly_and_renumbered_events_are_duplicates,
    ingest::unknown_kinds_are_stored_and_counted_once,
    ingest::same_event_id_in_two_tenants_is_stored_in_each,
    ingest::dropped_ranges_are_counted_once,
    ingest::concurrent_batches_of_one_agent_store_each_event_once,
    ingest::large_batches_are_stored_quickly,
    ledger::worked_example,
    ledger::random_floors_match_the_pure_ledger,
    costing::costing_worked_example,
    costing::costing_conserves_value_on_random_floors,
    reapply::set_aside_events_book_after_the_master_data_is_fixed,
    reports::shortage_report_lists_exactly_what_is_missing,
    ledger::engineering_change_uses_up_old_stock_at_release,
    concurrency::concurrent_agents_are_all_booked,
    clock::agent_clock_offset_is_kept_and_events_are_dated_in_hub_time,
    clock::events_from_the_future_are_counted_and_recorded,
    poison::events_past_the_decimal_range_never_wedge_the_tenant,
    poison::deep_or_malformed_events_are_refused_at_ingest_and_set_aside_with_their_id,
    poison::extreme_events_are_booked_or_set_aside_and_never_wedge,
    poison::an_event_the_store_refuses_is_set_aside_and_the_rest_booked,
    machines::latest_per_key_is_the_newest_event_of_the_site_per_key,
    machines::parts_since_sums_each_machines_counts_of_the_site,
    leases::a_step_read_after_a_moved_cursor_is_refused_whole,
    leases::a_replica_that_lost_its_lease_cannot_commit_a_step,
    leases::a_notice_sent_by_one_hub_is_heard_by_another,
    leases::a_statement_past_the_timeout_is_cancelled,
);
