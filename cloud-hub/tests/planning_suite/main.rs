//! Scheduling on the hub, on both stores: a prepared factory site planned
//! through the planning service (hand-checked completions and lateness),
//! re-planned by the watcher after a machine-down event (only affected
//! operations move), and the scheduling API through the real router
//! (what-if leaves the live plan alone; another tenant's site is a 404).
//! PostgreSQL cases skip with a printed reason when there is no server.

#[path = "../store_suite/harness.rs"]
#[allow(dead_code)]
mod harness;

mod api;
mod factory;
mod material_waits;
mod plans;
mod replan;
mod station_plan;
mod steer;

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
    replan::factory_week_plan_is_valid_with_hand_checked_completions,
    replan::machine_down_event_replans_only_affected_operations,
    replan::finished_operations_leave_the_plan_and_released_orders_join_it,
    api::run_and_read_the_live_plan_per_machine_and_order,
    api::what_if_does_not_replace_the_live_plan,
    api::another_tenants_site_is_not_found,
    steer::moves_are_drafted_refused_accepted_and_undone,
    steer::another_tenant_cannot_steer,
    steer::priorities_due_dates_pins_and_a_frozen_horizon_are_kept,
    steer::drafts_are_bounded_per_site,
    station_plan::the_downlink_carries_the_live_plan_to_agents_that_ask,
    material_waits::short_material_waits_is_marked_or_is_covered_by_stock,
);
