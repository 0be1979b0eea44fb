//! The vocabulary of rights: modules, actions, a right (`stock:approve`),
//! the roles a new tenant starts with, and what a principal's grants add
//! up to ([`RightSet`]).
//!
//! Pure: no I/O. The store keeps rights as these strings; the hub's guard
//! asks a [`RightSet`] "may this principal do this action on this module
//! at this site".
//!
//! Implication: `admin` on a module holds every action of it; `edit` and
//! `approve` each hold `view`. `edit` does not hold `approve` (a planner
//! may edit an order a supervisor releases) nor the reverse.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// Declares a closed set of names, each with its snake-case text.
macro_rules! named_set {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value's name as written in rights (`master_data`).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)*
                    other => Err(format!(
                        "`{other}` is none of {}",
                        [$($text,)*].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_set!(
    /// A part of the product a right is about.
    Module {
        /// Materials, BOMs, routings, units, reasons, partners' master data.
        MasterData = "master_data",
        /// Production orders, their release and close, actuals.
        Production = "production",
        /// Stock on hand, movements, stock documents, lot traces.
        Stock = "stock",
        /// Suppliers' purchase orders.
        Purchasing = "purchasing",
        /// Customers' sales orders and sales statistics.
        Sales = "sales",
        /// Costs: standard, actual, variances, stock value.
        Costing = "costing",
        /// Plans, what-ifs, calendars as the scheduler reads them.
        Scheduling = "scheduling",
        /// Equipment, its states, downtime and OEE.
        Equipment = "equipment",
        /// Sites and their agents.
        Agents = "agents",
        /// Users, groups, roles, sessions, tokens, settings, calendars, the audit log.
        System = "system",
    }
);

named_set!(
    /// What a right lets one do in its module.
    Action {
        /// Read.
        View = "view",
        /// Create, change, archive.
        Edit = "edit",
        /// Release, close, post stock documents.
        Approve = "approve",
        /// Everything in the module.
        Admin = "admin",
    }
);

impl Action {
    /// Whether holding `self` holds `wanted` too (see the module's note).
    pub fn holds(self, wanted: Action) -> bool {
        self == wanted
            || self == Action::Admin
            || (wanted == Action::View && matches!(self, Action::Edit | Action::Approve))
    }
}

/// One right: an action on a module, written `module:action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Right {
    /// The module.
    pub module: Module,
    /// The action.
    pub action: Action,
}

impl Right {
    /// `action` on `module`.
    pub const fn new(module: Module, action: Action) -> Right {
        Right { module, action }
    }

    /// Whether holding `self` holds `wanted`.
    pub fn holds(self, wanted: Right) -> bool {
        self.module == wanted.module && self.action.holds(wanted.action)
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.module, self.action)
    }
}

impl FromStr for Right {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (module, action) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not `module:action` (e.g. `stock:view`)"))?;
        Ok(Right {
            module: module.parse().map_err(|e| format!("module {e}"))?,
            action: action.parse().map_err(|e| format!("action {e}"))?,
        })
    }
}

impl Serialize for Right {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Right {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Right {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Right".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let modules = Module::ALL
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join("|");
        let actions = Action::ALL
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join("|");
        schemars::json_schema!({
            "type": "string",
            "pattern": format!("^({modules}):({actions})$"),
            "description": "a right: `module:action`; admin holds every action, edit and approve hold view",
        })
    }
}

/// Where a right holds: at every site, or only at some (short names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteScope {
    /// Every site of the tenant.
    All,
    /// Only these sites.
    Only(BTreeSet<String>),
}

impl SiteScope {
    /// Whether the scope covers `site`.
    pub fn covers(&self, site: &str) -> bool {
        match self {
            SiteScope::All => true,
            SiteScope::Only(sites) => sites.contains(site),
        }
    }

    fn widen(&mut self, other: &SiteScope) {
        match (&mut *self, other) {
            (SiteScope::All, _) => {}
            (_, SiteScope::All) => *self = SiteScope::All,
            (SiteScope::Only(mine), SiteScope::Only(theirs)) => mine.extend(theirs.iter().cloned()),
        }
    }
}

/// One role granted to a principal, as the store keeps it: the role's
/// rights and the sites it is limited to (`None`: every site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role's rights.
    pub rights: Vec<Right>,
    /// The sites the grant is limited to; `None`: every site.
    pub sites: Option<Vec<String>>,
}

/// What a principal's grants add up to: for each right held, where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RightSet {
    held: BTreeMap<Right, SiteScope>,
}

impl RightSet {
    /// The union of `grants`, narrowed to `narrowing` when given (a token
    /// limited to some rights: a right counts only if the narrowing holds
    /// it too).
    pub fn from_grants(grants: &[Grant], narrowing: Option<&[Right]>) -> RightSet {
        let mut held: BTreeMap<Right, SiteScope> = BTreeMap::new();
        for grant in grants {
            let scope = match &grant.sites {
                None => SiteScope::All,
                Some(sites) => SiteScope::Only(sites.iter().cloned().collect()),
            };
            for right in &grant.rights {
                held.entry(*right)
                    .and_modify(|s| s.widen(&scope))
                    .or_insert_with(|| scope.clone());
            }
        }
        if let Some(narrowing) = narrowing {
            // Each right counts as far as both the user's and the token's
            // hold it: a user's `stock:admin` under a token narrowed to
            // `stock:view` is a view; a user's view under `stock:admin`,
            // still a view.
            let mut narrowed: BTreeMap<Right, SiteScope> = BTreeMap::new();
            for (right, scope) in &held {
                for n in narrowing {
                    let kept = if right.holds(*n) {
                        *n
                    } else if n.holds(*right) {
                        *right
                    } else {
                        continue;
                    };
                    narrowed
                        .entry(kept)
                        .and_modify(|s| s.widen(scope))
                        .or_insert_with(|| scope.clone());
                }
            }
            return RightSet { held: narrowed };
        }
        RightSet { held }
    }

    /// Where the principal holds `wanted` (`None`: nowhere).
    pub fn scope_of(&self, wanted: Right) -> Option<SiteScope> {
        let mut found: Option<SiteScope> = None;
        for (right, scope) in &self.held {
            if right.holds(wanted) {
                match &mut found {
                    None => found = Some(scope.clone()),
                    Some(f) => f.widen(scope),
                }
            }
        }
        found
    }

    /// Whether the principal holds `wanted` at every site.
    pub fn holds_everywhere(&self, wanted: Right) -> bool {
        self.scope_of(wanted) == Some(SiteScope::All)
    }

    /// Every right held, with its scope.
    pub fn iter(&self) -> impl Iterator<Item = (&Right, &SiteScope)> {
        self.held.iter()
    }
}

/// A role a new tenant starts with (editable afterwards).
#[derive(Debug, Clone)]
pub struct BuiltinRole {
    /// Its name (`store_keeper`).
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Its rights.
    pub rights: Vec<Right>,
}

/// The roles every new tenant starts with: admin, planner, supervisor,
/// store keeper, cost accountant, viewer.
pub fn builtin_roles() -> Vec<BuiltinRole> {
    use Action::*;
    use Module::*;
    let r = |pairs: &[(Module, Action)]| pairs.iter().map(|&(m, a)| Right::new(m, a)).collect::<Vec<_>>();
    let operational = [
        MasterData, Production, Stock, Purchasing, Sales, Scheduling, Equipment, Agents,
    ];
    vec![
        BuiltinRole {
            name: "admin",
            description: "everything, users and rights included",
            rights: Module::ALL.iter().map(|&m| Right::new(m, Admin)).collect(),
        },
        BuiltinRole {
            name: "planner",
            description: "master data, orders and plans; sees stock and costs; no users",
            rights: r(&[
                (MasterData, Edit),
                (Production, Edit),
                (Production, Approve),
                (Scheduling, Edit),
                (Purchasing, Edit),
                (Sales, Edit),
                (Stock, View),
                (Costing, View),
                (Equipment, View),
                (Agents, View),
            ]),
        },
        BuiltinRole {
            name: "supervisor",
            description: "runs the floor: releases and closes orders, equipment and downtime",
            rights: r(&[
                (Production, Edit),
                (Production, Approve),
                (Equipment, Edit),
                (MasterData, View),
                (Stock, View),
                (Scheduling, View),
                (Agents, View),
            ]),
        },
        BuiltinRole {
            name: "store_keeper",
            description: "stock and its documents; never costs",
            rights: r(&[
                (Stock, Edit),
                (Stock, Approve),
                (MasterData, View),
                (Purchasing, View),
                (Production, View),
            ]),
        },
        BuiltinRole {
            name: "cost_accountant",
            description: "costing settings and reports; reads everything else",
            rights: {
                let mut rights = r(&[(Costing, Edit), (Costing, Approve)]);
                rights.extend(operational.iter().map(|&m| Right::new(m, View)));
                rights
            },
        },
        BuiltinRole {
            name: "viewer",
            description: "reads the floor, orders, stock and plans; no costs, no users",
            rights: operational.iter().map(|&m| Right::new(m, View)).collect(),
        },
    ]
}

/// Parses a stored list of rights (JSON array of strings); a right this
/// hub no longer knows is left out (deny by default), never an error.
pub fn parse_stored(json: &str) -> Vec<Right> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// A list of rights as stored (JSON array of strings).
pub fn to_stored(rights: &[Right]) -> String {
    serde_json::to_string(&rights.iter().map(Right::to_string).collect::<Vec<_>>())
        .expect("a list of strings serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn right(text: &str) -> Right {
        text.parse().expect("a valid right")
    }

    #[test]
    fn rights_read_and_write_as_module_colon_action() {
        assert_eq!(right("stock:approve"), Right::new(Module::Stock, Action::Approve));
        assert_eq!(right("master_data:view").to_string(), "master_data:view");
        assert!("stock".parse::<Right>().is_err());
        assert!(
            "stock:delete"
                .parse::<Right>()
                .expect_err("refused")
                .contains("action")
        );
        assert!(
            "ledger:view"
                .parse::<Right>()
                .expect_err("refused")
                .contains("module")
        );
    }

    #[test]
    fn admin_holds_all_edit_and_approve_hold_view_only() {
        assert!(Action::Admin.holds(Action::Approve));
        assert!(Action::Edit.holds(Action::View));
        assert!(Action::Approve.holds(Action::View));
        assert!(!Action::Edit.holds(Action::Approve));
        assert!(!Action::View.holds(Action::Edit));
        assert!(!right("stock:admin").holds(right("costing:view")));
    }

    #[test]
    fn grants_add_up_and_sites_widen() {
        let set = RightSet::from_grants(
            &[
                Grant {
                    rights: vec![right("production:edit")],
                    sites: Some(vec!["p1".into()]),
                },
                Grant {
                    rights: vec![right("production:view")],
                    sites: Some(vec!["p2".into()]),
                },
            ],
            None,
        );
        let view = set.scope_of(right("production:view")).expect("held");
        assert!(view.covers("p1") && view.covers("p2") && !view.covers("p3"));
        let edit = set.scope_of(right("production:edit")).expect("held");
        assert!(edit.covers("p1") && !edit.covers("p2"));
        assert_eq!(set.scope_of(right("production:approve")), None);
    }

    #[test]
    fn a_narrowed_token_keeps_only_what_both_hold() {
        let admin = Grant {
            rights: builtin_roles()[0].rights.clone(),
            sites: None,
        };
        let set = RightSet::from_grants(&[admin], Some(&[right("stock:view")]));
        assert!(set.holds_everywhere(right("stock:view")));
        assert_eq!(set.scope_of(right("stock:edit")), None);
        assert_eq!(set.scope_of(right("system:view")), None);
        // A narrowing wider than the user holds adds nothing.
        let viewer = Grant {
            rights: vec![right("stock:view")],
            sites: None,
        };
        let set = RightSet::from_grants(&[viewer], Some(&[right("stock:admin")]));
        assert!(set.holds_everywhere(right("stock:view")));
        assert_eq!(set.scope_of(right("stock:edit")), None);
    }

    #[test]
    fn the_store_keeper_never_sees_costs_and_the_planner_never_users() {
        let roles = builtin_roles();
        let role = |name: &str| {
            let role = roles.iter().find(|r| r.name == name).expect("built in");
            RightSet::from_grants(
                &[Grant {
                    rights: role.rights.clone(),
                    sites: None,
                }],
                None,
            )
        };
        assert_eq!(role("store_keeper").scope_of(right("costing:view")), None);
        assert_eq!(role("planner").scope_of(right("system:view")), None);
        assert!(role("admin").holds_everywhere(right("system:admin")));
        assert_eq!(
            roles.iter().map(|r| r.name).collect::<Vec<_>>(),
            [
                "admin",
                "planner",
                "supervisor",
                "store_keeper",
                "cost_accountant",
                "viewer"
            ]
        );
    }

    #[test]
    fn stored_rights_this_hub_does_not_know_are_left_out() {
        assert_eq!(
            parse_stored(r#"["stock:view","robots:admin"]"#),
            vec![right("stock:view")]
        );
        assert_eq!(
            parse_stored(&to_stored(&[right("sales:edit")])),
            vec![right("sales:edit")]
        );
    }
}
