//! People and their rights on the HTTP side: who a request is
//! ([`principal`]), browser sessions ([`session`]), passwords and their
//! policy ([`password`]), login limits ([`throttle`]), where a request came
//! from ([`client`]) and the `[access]` settings ([`config`]).
//!
//! The vocabulary of rights (modules, actions, roles, what grants add up
//! to) is `store::rights`; what is stored is `store::access`. The guard
//! (`api/guard.rs`) asks a [`principal::Principal`] "may you do this action
//! on this module at this site" for every tenant route, from the right the
//! route book declares for it.

pub mod client;
pub mod config;
pub mod password;
pub mod principal;
pub mod session;
pub mod throttle;
