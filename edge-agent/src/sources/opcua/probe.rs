//! `edge-agent probe` for OPC UA: reads a server's configured tags once and
//! browses its address space from a node (default Objects) to a depth,
//! printing each node's id (namespace by URI, ready to paste into the
//! configuration), browse name, data type and current value, so an
//! integrator can write `[[opcua]]` tags without a separate client.

use super::config::OpcuaSpec;
use super::node::NodeRef;
use super::session::{build_client, connect, read_namespaces};
use super::value::{NoValue, tag_value};
use opcua::client::Session;
use opcua::types::{
    AttributeId, BrowseDescription, BrowseDirection, DataValue, NodeClass, NodeId, ObjectId, ReadValueId,
    ReferenceTypeId, TimestampsToReturn, Variant,
};
use std::fmt::Write;

/// What to browse: from `start` (a configured-style node id, default the
/// Objects folder), `depth` levels down.
#[derive(Debug, Clone)]
pub struct Browse {
    /// The node to start from.
    pub start: Option<String>,
    /// How many levels below it.
    pub depth: u32,
}

/// Probes one server; returns the printed report and whether every read
/// succeeded.
pub async fn probe(spec: &OpcuaSpec, browse: Option<&Browse>) -> (String, bool) {
    let mut out = format!("OPC UA {} ({})\n", spec.name, spec.endpoint);
    let mut client = match build_client(spec) {
        Ok(client) => client,
        Err(e) => return (out + &format!("  error: {e}\n"), false),
    };
    let (session, _lost, _driver) = match connect(spec, &mut client).await {
        Ok(connected) => connected,
        Err(e) => return (out + &format!("  error: {e}\n"), false),
    };
    let namespaces = match read_namespaces(&session).await {
        Ok(n) => n,
        Err(e) => return (out + &format!("  error: {e}\n"), false),
    };
    let mut ok = true;
    for tag in &spec.tags {
        let line = match tag.node.resolve(&namespaces) {
            None => {
                ok = false;
                format!(
                    "no namespace {:?} on the server",
                    tag.node.uri().unwrap_or_default()
                )
            }
            Some(node) => match read(&session, &node, AttributeId::Value).await {
                Ok(dv) => match tag_value(&dv, tag.index) {
                    Ok(value) => value.to_string(),
                    Err(NoValue::Status(status)) => {
                        ok = false;
                        format!("status {status}: not a value")
                    }
                    Err(NoValue::Unreadable(why)) => {
                        ok = false;
                        why
                    }
                },
                Err(e) => {
                    ok = false;
                    e
                }
            },
        };
        let _ = writeln!(
            out,
            "  {:<24} {:<48} {line}",
            tag.name.as_str(),
            tag.node.to_string()
        );
    }
    if let Some(browse) = browse {
        let start = match &browse.start {
            None => Ok(NodeId::from(ObjectId::ObjectsFolder)),
            Some(raw) => NodeRef::parse(raw).and_then(|n| {
                n.resolve(&namespaces)
                    .ok_or_else(|| format!("{raw}: no such namespace on the server"))
            }),
        };
        match start {
            Ok(start) => {
                let _ = writeln!(
                    out,
                    "  browse from {} ({} levels):",
                    name(&start, &namespaces),
                    browse.depth
                );
                ok &= walk(&session, &namespaces, start, browse.depth, 2, &mut out).await;
            }
            Err(e) => {
                ok = false;
                let _ = writeln!(out, "  error: {e}");
            }
        }
    }
    let _ = session.disconnect().await;
    (out, ok)
}

/// Browses the hierarchical children of `node`, `depth` levels down.
async fn walk(
    session: &Session,
    namespaces: &[String],
    node: NodeId,
    depth: u32,
    indent: usize,
    out: &mut String,
) -> bool {
    let mut ok = true;
    // Depth first, in the server's order: a node's line is printed when it
    // is taken from the stack, its children right after it.
    let mut stack: Vec<(Option<String>, NodeId, u32, usize)> = vec![(None, node, depth, indent)];
    while let Some((line, node, depth, indent)) = stack.pop() {
        if let Some(line) = line {
            let _ = writeln!(out, "{line}");
        }
        if depth == 0 {
            continue;
        }
        let request = BrowseDescription {
            node_id: node.clone(),
            browse_direction: BrowseDirection::Forward,
            reference_type_id: ReferenceTypeId::HierarchicalReferences.into(),
            include_subtypes: true,
            node_class_mask: 0,
            result_mask: 63,
        };
        let results = match session.browse(&[request], 1000, None).await {
            Ok(results) => results,
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{:indent$}error browsing {}: {e}",
                    "",
                    name(&node, namespaces)
                );
                ok = false;
                continue;
            }
        };
        let references = results.into_iter().flat_map(|r| r.references.unwrap_or_default());
        let mut children = Vec::new();
        for reference in references {
            let child = reference.node_id.node_id;
            let mut line = format!(
                "{:indent$}{:<48} {}",
                "",
                name(&child, namespaces),
                reference.browse_name.name.as_ref()
            );
            if reference.node_class == NodeClass::Variable {
                let datatype = match read(session, &child, AttributeId::DataType)
                    .await
                    .map(|dv| dv.value)
                {
                    Ok(Some(Variant::NodeId(id))) => type_name(&id),
                    _ => "?".into(),
                };
                let value = match read(session, &child, AttributeId::Value).await {
                    Ok(dv) => match tag_value(&dv, None) {
                        Ok(v) => v.to_string(),
                        Err(NoValue::Status(s)) => format!("status {s}"),
                        Err(NoValue::Unreadable(why)) => why,
                    },
                    Err(e) => e,
                };
                let _ = write!(line, "  {datatype}  {value}");
            }
            children.push((Some(line), child, depth - 1, indent + 2));
        }
        stack.extend(children.into_iter().rev());
    }
    ok
}

async fn read(session: &Session, node: &NodeId, attribute: AttributeId) -> Result<DataValue, String> {
    let id = ReadValueId {
        node_id: node.clone(),
        attribute_id: attribute as u32,
        ..ReadValueId::default()
    };
    session
        .read(&[id], TimestampsToReturn::Neither, 0.0)
        .await
        .map_err(|e| format!("read failed: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| "the server returned nothing".into())
}

/// A node id as the configuration writes it: `nsu=<uri>;...` (or
/// `ns=0;...`).
fn name(node: &NodeId, namespaces: &[String]) -> String {
    let text = node.to_string();
    let identifier = text
        .split_once(';')
        .map_or(text.as_str(), |(_, id)| id)
        .to_string();
    match (node.namespace, namespaces.get(usize::from(node.namespace))) {
        (0, _) => format!("ns=0;{identifier}"),
        (_, Some(uri)) => format!("nsu={uri};{identifier}"),
        (index, None) => format!("ns={index};{identifier}"),
    }
}

/// The name of a built-in data type, else its node id.
fn type_name(id: &NodeId) -> String {
    let names = [
        (1, "Boolean"),
        (2, "SByte"),
        (3, "Byte"),
        (4, "Int16"),
        (5, "UInt16"),
        (6, "Int32"),
        (7, "UInt32"),
        (8, "Int64"),
        (9, "UInt64"),
        (10, "Float"),
        (11, "Double"),
        (12, "String"),
        (13, "DateTime"),
    ];
    match (id.namespace, id.as_u32()) {
        (0, Some(n)) => names
            .iter()
            .find(|(code, _)| *code == n)
            .map_or_else(|| id.to_string(), |(_, name)| (*name).to_string()),
        _ => id.to_string(),
    }
}
