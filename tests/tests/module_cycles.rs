//! No import cycles between modules anywhere in the workspace (issue 14).
//!
//! The rule, per crate: take any module and its direct child modules; an
//! edge runs from child A to child B when code anywhere in A's subtree
//! names something in B's subtree (`crate::…`, `super::…`, `self::…`
//! paths, in `use` lines or inline). Those edges must form no cycle, at
//! every level. So `api` may use `metrics` or the other way round, never
//! both; inside `production`, `actuals` and `order_report` likewise. A
//! module naming its own ancestors or descendants is not an edge (a parent
//! declares its children; a child may use what its parent re-exports).
//!
//! The check reads the source as text (no compiler): line comments are
//! dropped, paths are resolved to the longest module prefix that exists.
//! It is deliberately simple; a cycle it reports names the files, so a
//! false one is easy to see.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workspace's crates: their `src` directories.
const CRATES: &[&str] = &[
    "protocols/src",
    "edge-agent/src",
    "edge-agent/simulator/src",
    "cloud-hub/src",
    "cloud-hub/stock/src",
    "cloud-hub/store/src",
    "cloud-hub/scheduler/src",
    "tests/src",
];

type ModPath = Vec<String>;

/// A module's path (`["planning", "watch"]`) from its file under `src`.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).expect("a file under src");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    // Binaries under src/bin are crates of their own; they are roots.
    if parts.first().map(String::as_str) == Some("bin") {
        return vec![];
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without line comments (doc comments name paths in backticks).
fn code_only(text: &str) -> String {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") { "" } else { line }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts with `anchor::` in `code`, expanded over `{…}`
/// groups, as segments after the anchor.
fn paths_after(code: &str, anchor: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let needle = format!("{anchor}::");
    let mut from = 0;
    while let Some(found) = code[from..].find(&needle) {
        let start = from + found;
        from = start + needle.len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':') {
            continue;
        }
        expand(&code[from..], Vec::new(), &mut out);
    }
    out
}

/// Reads one path (with `{…}` groups) at the start of `rest`.
fn expand(rest: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut depth = 1;
        let mut end = inner.len();
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let group = &inner[..end];
        let mut depth = 0;
        let mut item_start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&group[item_start..i], prefix.clone(), out);
                    item_start = i + 1;
                }
                _ => {}
            }
        }
        expand(&group[item_start..], prefix, out);
        return;
    }
    let ident: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if ident.is_empty() {
        if !prefix.is_empty() {
            out.push(prefix);
        }
        return;
    }
    let mut path = prefix;
    path.push(ident.clone());
    let after = &rest[ident.len()..];
    match after.strip_prefix("::") {
        Some(more) => expand(more, path, out),
        None => out.push(path),
    }
}

/// The longest module of `modules` that `path` names (a module path, or
/// an item inside one).
fn resolve(path: &[String], modules: &BTreeSet<ModPath>) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

/// The references of module `module` (file text `code`) to other modules.
fn references(module: &ModPath, code: &str, modules: &BTreeSet<ModPath>) -> BTreeSet<ModPath> {
    let mut targets = BTreeSet::new();
    for path in paths_after(code, "crate") {
        targets.insert(resolve(&path, modules));
    }
    // `super::` is the parent of a file's module; `self::` the module.
    for path in paths_after(code, "super") {
        let mut segments = path;
        let mut base = module.clone();
        base.pop();
        while segments.first().map(String::as_str) == Some("super") {
            segments.remove(0);
            base.pop();
        }
        let mut full = base;
        full.extend(segments);
        targets.insert(resolve(&full, modules));
    }
    for path in paths_after(code, "self") {
        let mut full = module.clone();
        full.extend(path);
        targets.insert(resolve(&full, modules));
    }
    targets
}

/// One crate's cycles: for every module, among its children.
fn cycles_of(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut code_of: BTreeMap<ModPath, Vec<(PathBuf, String)>> = BTreeMap::new();
    for file in files {
        if file.strip_prefix(src).is_ok_and(|r| r.starts_with("bin")) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        code_of
            .entry(module_of(src, &file))
            .or_default()
            .push((file, code_only(&text)));
    }
    let modules: BTreeSet<ModPath> = code_of.keys().cloned().collect();
    // Edges between modules, with a file that makes each.
    let mut edges: BTreeMap<(ModPath, ModPath), PathBuf> = BTreeMap::new();
    for (module, files) in &code_of {
        for (file, code) in files {
            for target in references(module, code, &modules) {
                edges
                    .entry((module.clone(), target))
                    .or_insert_with(|| file.clone());
            }
        }
    }
    let mut found = Vec::new();
    let parents: BTreeSet<ModPath> = modules
        .iter()
        .flat_map(|m| (0..m.len()).map(|n| m[..n].to_vec()))
        .collect();
    for parent in parents {
        let depth = parent.len();
        let child_of = |m: &ModPath| -> Option<String> {
            (m.len() > depth && m[..depth] == parent[..]).then(|| m[depth].clone())
        };
        let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
        for ((from, to), file) in &edges {
            if let (Some(a), Some(b)) = (child_of(from), child_of(to))
                && a != b
            {
                graph
                    .entry(a)
                    .or_default()
                    .entry(b)
                    .or_insert_with(|| file.clone());
            }
        }
        if let Some(cycle) = find_cycle(&graph) {
            let scope = if parent.is_empty() {
                "crate".to_string()
            } else {
                parent.join("::")
            };
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} -> {} (in {})", w[0], w[1], graph[&w[0]][&w[1]].display()))
                .collect();
            found.push(format!("{} [{}]: {}", src.display(), scope, steps.join("; ")));
        }
    }
    found
}

/// A cycle of `graph` as a closed walk (first = last), if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeMap<String, PathBuf>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, PathBuf>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|m| m.keys()) {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|n| n == next).expect("on the stack");
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(node, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_module_imports_in_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cycles = Vec::new();
    for krate in CRATES {
        let src = root.join(krate);
        assert!(
            src.is_dir(),
            "{} is not a directory: update CRATES",
            src.display()
        );
        cycles.extend(cycles_of(&src));
    }
    assert!(
        cycles.is_empty(),
        "import cycles between modules:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_check_finds_a_cycle_it_is_shown() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("production")).expect("dirs");
    std::fs::write(src.join("lib.rs"), "pub mod production;\npub mod api;\n").expect("lib");
    std::fs::write(src.join("api.rs"), "use crate::production::actuals::Report;\n").expect("api");
    std::fs::write(
        src.join("production/mod.rs"),
        "pub mod actuals;\npub mod order_report;\n// crate::api is only named in a comment\n",
    )
    .expect("mod");
    std::fs::write(
        src.join("production/actuals.rs"),
        "use super::order_report::{self, Line};\n",
    )
    .expect("actuals");
    std::fs::write(
        src.join("production/order_report.rs"),
        "pub fn f() { crate::production::actuals::g() }\n",
    )
    .expect("order_report");
    let cycles = cycles_of(&src);
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(cycles[0].contains("[production]"), "{}", cycles[0]);
    assert!(cycles[0].contains("actuals -> order_report"), "{}", cycles[0]);
    // Breaking it clears the report.
    std::fs::write(src.join("production/order_report.rs"), "pub fn f() {}\n").expect("order_report");
    assert!(cycles_of(&src).is_empty());
}
