//! The `get_metadata` body: the agency's graph (from core) laid out on a canvas for a client to
//! draw.
//!
//! The layout is layered, top to bottom: layer 0 holds the entry points, each next layer the
//! agents the previous one sends messages or hands off to, and agents nothing reaches go one
//! layer below the deepest. Agents are 120 wide and 120 apart, each layer centred on an 800 wide
//! canvas, layer `n` at `y = 80 + n * 180`; an agent's tools sit 115 below it, 120 apart.

use std::collections::{BTreeMap, HashMap, VecDeque};

use agency_core::Agency;
use serde_json::{Map, Value, json};

const CANVAS_WIDTH: f64 = 800.0;
/// From one agent's centre to the next: 120 wide plus 120 apart.
const AGENT_SPACING: f64 = 240.0;
const TOOL_SPACING: f64 = 120.0;
const LAYER_HEIGHT: f64 = 180.0;
const TOP: f64 = 80.0;
const TOOL_OFFSET: f64 = 115.0;

/// The `get_metadata` body of `agency` (without `allowed_local_file_dirs`, which the route
/// adds): its graph with a `position` on every node and `layoutAlgorithm: "hierarchical"` in
/// the summary.
///
/// ```
/// use agency_core::{Agency, Agent};
///
/// let ceo = Agent::builder("CEO").build();
/// let dev = Agent::builder("Developer").build();
/// let agency = Agency::builder("Shop").entry(ceo.clone()).flow(ceo, dev).build().unwrap();
/// let doc = agency_http::agency::metadata(&agency);
/// assert_eq!(doc["nodes"][0]["position"], serde_json::json!({"x": 400.0, "y": 80.0}));
/// assert_eq!(doc["nodes"][1]["position"], serde_json::json!({"x": 400.0, "y": 260.0}));
/// assert_eq!(doc["metadata"]["layoutAlgorithm"], "hierarchical");
/// ```
pub fn metadata(agency: &Agency) -> Value {
    let mut graph = agency.metadata();
    let agents = agent_positions(agency);
    if let Some(Value::Array(nodes)) = graph.get_mut("nodes") {
        place(nodes, &agents);
    }
    if let Some(Value::Object(summary)) = graph.get_mut("metadata") {
        summary.insert("layoutAlgorithm".into(), json!("hierarchical"));
    }
    graph
}

/// Where each agent goes: its layer's row, spread around the canvas's centre line.
fn agent_positions(agency: &Agency) -> HashMap<&str, (f64, f64)> {
    let layers = layers(agency);
    let mut by_layer: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for name in agency.agent_names() {
        let layer = layers.get(name.as_str()).copied().unwrap_or(0);
        by_layer.entry(layer).or_default().push(name);
    }
    let mut positions = HashMap::new();
    for (layer, names) in &by_layer {
        let n = names.len() as f64;
        for (i, name) in names.iter().enumerate() {
            let x = CANVAS_WIDTH / 2.0 + (i as f64 - (n - 1.0) / 2.0) * AGENT_SPACING;
            positions.insert(*name, (x, TOP + *layer as f64 * LAYER_HEIGHT));
        }
    }
    positions
}

/// Layer of each agent: its distance from the entry points along flows and handoffs; agents
/// no flow reaches go one layer below the deepest.
fn layers(agency: &Agency) -> HashMap<&str, usize> {
    let mut layer: HashMap<&str, usize> = HashMap::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    for e in agency.entry_points() {
        layer.insert(e, 0);
        queue.push_back(e);
    }
    while let Some(current) = queue.pop_front() {
        let depth = layer.get(current).copied().unwrap_or(0);
        let next = agency
            .flows()
            .iter()
            .chain(agency.handoffs())
            .filter(|(s, _)| s == current)
            .map(|(_, r)| r.as_str());
        for n in next {
            if !layer.contains_key(n) {
                layer.insert(n, depth + 1);
                queue.push_back(n);
            }
        }
    }
    let deepest = layer.values().copied().max().unwrap_or(0);
    for name in agency.agent_names() {
        layer.entry(name.as_str()).or_insert(deepest + 1);
    }
    layer
}

/// Gives every node a `position` (after its `id` and `type`, before its `data`): agents where
/// [`agent_positions`] put them, each agent's tools in a row centred below it.
fn place(nodes: &mut [Value], agents: &HashMap<&str, (f64, f64)>) {
    let parent = |node: &Value| node["data"]["parentAgent"].as_str().map(str::to_owned);
    let mut tool_counts: HashMap<String, usize> = HashMap::new();
    for node in nodes.iter() {
        if let Some(p) = parent(node) {
            *tool_counts.entry(p).or_default() += 1;
        }
    }
    let mut placed: HashMap<String, usize> = HashMap::new();
    let centre = (CANVAS_WIDTH / 2.0, TOP);
    for node in nodes.iter_mut() {
        let position = match parent(node) {
            Some(agent) => {
                let (x, y) = agents.get(agent.as_str()).copied().unwrap_or(centre);
                let m = tool_counts.get(&agent).copied().unwrap_or(1) as f64;
                let j = placed.entry(agent).or_default();
                let offset = (*j as f64 - (m - 1.0) / 2.0) * TOOL_SPACING;
                *j += 1;
                (x + offset, y + TOOL_OFFSET)
            }
            None => {
                let id = node["id"].as_str().unwrap_or_default();
                agents.get(id).copied().unwrap_or(centre)
            }
        };
        if let Value::Object(map) = node {
            *map = with_position(std::mem::take(map), position);
        }
    }
}

fn with_position(node: Map<String, Value>, (x, y): (f64, f64)) -> Map<String, Value> {
    let mut out = Map::with_capacity(node.len() + 1);
    let mut position = Some(json!({"x": x, "y": y}));
    for (key, value) in node {
        if key == "data"
            && let Some(p) = position.take()
        {
            out.insert("position".into(), p);
        }
        out.insert(key, value);
    }
    if let Some(p) = position {
        out.insert("position".into(), p);
    }
    out
}

#[cfg(test)]
mod tests {
    use agency_core::{Agent, Tool, ToolError};

    use super::*;

    fn tool(name: &'static str) -> Tool {
        Tool::builder(name).handler(|n: i64, _| async move { Ok::<_, ToolError>(n) })
    }

    fn agent(name: &'static str, tools: &[&'static str]) -> Agent {
        tools
            .iter()
            .fold(Agent::builder(name), |a, t| a.tool(tool(t)))
            .build()
    }

    /// The agency of the `agency_metadata` snapshot (tests/it/agency.rs): the same positions.
    #[test]
    fn positions_of_the_snapshot() {
        let ceo = agent("CEO", &[]);
        let triage = agent("Triage", &[]);
        let agency = Agency::builder("Metadata Demo")
            .entry(ceo.clone())
            .entry(triage.clone())
            .flow(ceo.clone(), agent("Developer", &["count_lines", "whoami"]))
            .flow(ceo, agent("Analyst", &["mean"]))
            .handoff(triage, agent("Billing", &["refund_status"]))
            .build()
            .unwrap();
        let doc = metadata(&agency);
        let placed: Vec<(String, f64, f64)> = doc["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                let keys: Vec<&String> = n.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["id", "type", "position", "data"]);
                let p = &n["position"];
                (
                    n["id"].as_str().unwrap().to_owned(),
                    p["x"].as_f64().unwrap(),
                    p["y"].as_f64().unwrap(),
                )
            })
            .collect();
        let expected = [
            ("CEO", 280.0, 80.0),
            ("Triage", 520.0, 80.0),
            ("Developer_tool_0", 100.0, 375.0),
            ("Developer_tool_1", 220.0, 375.0),
            ("Developer", 160.0, 260.0),
            ("Analyst_tool_0", 400.0, 375.0),
            ("Analyst", 400.0, 260.0),
            ("Billing_tool_0", 640.0, 375.0),
            ("Billing", 640.0, 260.0),
        ];
        let expected: Vec<(String, f64, f64)> = expected
            .iter()
            .map(|(id, x, y)| ((*id).to_owned(), *x, *y))
            .collect();
        assert_eq!(placed, expected);
        let summary: Vec<&String> = doc["metadata"].as_object().unwrap().keys().collect();
        assert_eq!(summary.last().map(|k| k.as_str()), Some("layoutAlgorithm"));
    }

    #[test]
    fn agents_nothing_reaches_go_below_the_deepest_layer() {
        let agency = Agency::builder("Loose")
            .entry(agent("A", &[]))
            .agent(agent("B", &[]))
            .build()
            .unwrap();
        let doc = metadata(&agency);
        assert_eq!(doc["nodes"][1]["id"], "B");
        assert_eq!(doc["nodes"][1]["position"], json!({"x": 400.0, "y": 260.0}));
    }
}
