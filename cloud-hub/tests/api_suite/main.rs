//! The hub's REST API, driven through the real router in process
//! (`tower::ServiceExt::oneshot`, no sockets), every case once on SQLite
//! (`sqlite::…`) and once on PostgreSQL (`postgres::…`, at
//! `MES_TEST_DATABASE_URL`, skipped with a printed reason when there is no
//! server): record life cycles, validation answers, paging and filters,
//! tenant isolation over every documented route, and the OpenAPI document
//! against the router.

// The store suite's harness; this suite does not reopen stores.
#[allow(dead_code)]
#[path = "../store_suite/harness.rs"]
mod harness;

mod agents;
mod crud;
mod fixtures;
mod health;
mod http_layer;
mod hub;
mod isolation;
mod limits;
mod machines;
mod oee;
mod openapi;
mod paging;
mod rights;
mod routes;
mod sessions;
mod stock_documents;
mod validation;

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
    rights::every_route_refuses_a_user_without_its_right,
    rights::a_site_limited_user_sees_only_their_sites,
    rights::a_changed_role_counts_from_the_next_request,
    rights::a_change_on_another_hub_counts_at_a_cached_tokens_next_request,
    sessions::a_session_needs_csrf_for_changes_and_ends_at_logout,
    sessions::sessions_expire_when_idle_and_when_old,
    sessions::one_session_refuses_a_second_login_until_the_first_is_ended,
    sessions::failed_logins_are_throttled_then_locked,
    sessions::a_password_change_ends_the_other_sessions,
    sessions::the_audit_log_records_who_did_what_with_before_and_after,
    sessions::access_inputs_past_their_documented_bounds_are_400,
    sessions::blank_names_are_422_and_long_ones_400,
    sessions::a_change_on_another_hub_counts_at_a_cached_sessions_next_request,
    stock_documents::undated_document_retried_is_the_same_document,
    limits::values_past_the_maxima_are_422_naming_the_field,
    limits::decimals_outside_the_grammar_are_refused_naming_the_field,
    health::a_lagging_projection_makes_the_hub_degraded_naming_the_tenant,
    agents::agent_list_shows_the_measured_clock_offset,
    agents::disabled_agents_and_revoked_tokens_stop_authenticating,
    machines::equipment_timeline_downtime_and_parts,
    machines::site_equipment_shows_each_latest_state,
    machines::an_agent_outage_is_agent_down_in_the_timeline,
    oee::oee_worked_example_by_hand,
    oee::oee_flags_fast_cycles_and_pools_machines_by_sums,
    oee::oee_late_events_give_the_punctual_answer,
    oee::oee_questions_are_checked,
    oee::oee_agent_outage_is_unknown_time,
    crud::material_with_alt_units_round_trips,
    crud::bom_with_versions_round_trips,
    crud::routing_round_trips,
    crud::equipment_at_a_site_round_trips,
    crud::production_order_round_trips,
    crud::racing_creates_of_one_code_create_it_once,
    crud::racing_replacements_with_one_version_write_once,
    validation::bodies_that_do_not_parse_are_400_naming_the_field,
    validation::records_that_make_no_sense_are_422_naming_the_field,
    validation::references_to_missing_or_archived_records_are_422_naming_the_field,
    validation::code_in_body_must_match_the_url,
    validation::unknown_or_bad_query_parameters_are_400_naming_them,
    validation::standard_cost_questions_get_clear_answers,
    validation::framework_rejections_use_the_error_shape,
    validation::what_the_document_allows_the_server_takes,
    paging::pages_visit_every_record_once_in_bytewise_order,
    paging::filters_return_exactly_the_matching_records,
    isolation::other_tenants_codes_are_not_found_on_any_route,
    isolation::lists_show_only_the_callers_records,
    isolation::writes_naming_other_tenants_records_change_nothing_of_theirs,
    isolation::every_non_public_route_needs_its_token,
    isolation::references_never_reach_another_tenant,
    openapi::document_parses_and_every_ref_resolves,
    openapi::every_documented_route_answers_through_the_router,
    openapi::responses_match_the_documented_schemas,
    openapi::every_schema_is_valid_json_schema,
    http_layer::bodies_are_not_read_before_the_token_is_checked,
    http_layer::json_routes_take_json_only,
    http_layer::keys_named_twice_are_refused,
    http_layer::gzip_data_after_the_member_is_refused,
    http_layer::ingest_keys_named_twice_are_refused,
    http_layer::http_layer_refusals_are_json,
    http_layer::ingest_over_the_memory_budget_is_503_with_retry_after,
    http_layer::what_ifs_are_bounded_in_size_and_per_tenant,
);
