//! One file per page (or group of pages about one thing).

pub mod approvals;
pub mod board;
pub mod calendar_view;
pub mod login;
pub mod master;
pub mod oee;
pub mod oee_view;
pub mod order;
pub mod orders;
pub mod people;
pub mod plan;
pub mod plan_dispatch;
pub mod plan_steer;
pub mod plan_svg;
pub mod plan_view;
pub mod reports;
pub mod stock;
pub mod when;
