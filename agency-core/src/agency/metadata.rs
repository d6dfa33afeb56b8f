//! The agency graph of `GET /{agency}/get_metadata` (API.md §11).

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

use super::Agency;

const CANVAS_WIDTH: f64 = 800.0;
const AGENT_SPACING: f64 = 240.0; // 120 wide, 120 apart
const TOOL_SPACING: f64 = 120.0;
const LAYER_HEIGHT: f64 = 180.0;
const TOP: f64 = 80.0;
const TOOL_OFFSET: f64 = 115.0;

impl Agency {
    /// The agency as a graph: tool and agent nodes, `owns` / `communication` / `handoff` edges,
    /// positions from a layered layout, and a summary.
    pub fn metadata(&self) -> Value {
        let layers = self.layers();
        let mut by_layer: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for name in self.agent_names() {
            by_layer
                .entry(layers.get(name.as_str()).copied().unwrap_or(0))
                .or_default()
                .push(name);
        }
        let mut position = BTreeMap::new();
        for (layer, names) in &by_layer {
            let n = names.len() as f64;
            for (i, name) in names.iter().enumerate() {
                let x = CANVAS_WIDTH / 2.0 + (i as f64 - (n - 1.0) / 2.0) * AGENT_SPACING;
                position.insert(*name, (x, TOP + *layer as f64 * LAYER_HEIGHT));
            }
        }
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        let mut total_tools = 0;
        for agent in self.agents() {
            let name = agent.name();
            let (x, y) = position
                .get(name)
                .copied()
                .unwrap_or((CANVAS_WIDTH / 2.0, TOP));
            let own = self.0.own_tools.get(name).cloned().unwrap_or_default();
            total_tools += own.len();
            let m = own.len() as f64;
            for (j, tool) in own.iter().enumerate() {
                let id = format!("{name}_tool_{j}");
                nodes.push(json!({
                    "id": id,
                    "type": "tool",
                    "position": {"x": x + (j as f64 - (m - 1.0) / 2.0) * TOOL_SPACING, "y": y + TOOL_OFFSET},
                    "data": {"label": tool.name(), "description": tool.description(), "type": "function", "parentAgent": name},
                }));
                edges.push(json!({"id": format!("{name}->{id}"), "source": name, "target": id, "type": "owns"}));
            }
            let tools: Vec<Value> = own
                .iter()
                .map(|t| json!({"name": t.name(), "type": "function", "description": t.description(), "inputSchema": t.parameters()}))
                .collect();
            let mut capabilities = Vec::new();
            if !own.is_empty() {
                capabilities.push("tools");
            }
            if agent.is_reasoning_model() {
                capabilities.push("reasoning");
            }
            let mut data = json!({
                "label": name,
                "description": agent.description(),
                "isEntryPoint": self.entry_points().iter().any(|e| e == name),
                "toolCount": own.len(),
                "tools": tools,
                "instructions": agent.instructions(),
                "model": agent.model(),
                "hasSubagents": self.flows().iter().any(|(s, _)| s == name),
                "capabilities": capabilities,
            });
            if !agent.conversation_starters().is_empty() {
                data["conversationStarters"] = json!(agent.conversation_starters());
            }
            if !agent.quick_replies().is_empty() {
                data["quickReplies"] = json!(agent.quick_replies());
            }
            nodes.push(
                json!({"id": name, "type": "agent", "position": {"x": x, "y": y}, "data": data}),
            );
        }
        for (s, r) in self.flows() {
            edges.push(json!({
                "id": format!("{s}->{r}"), "source": s, "target": r, "type": "communication",
                "data": {"label": "can send messages to", "bidirectional": false},
            }));
        }
        for (f, t) in self.handoffs() {
            edges.push(json!({
                "id": format!("{f}=>{t}"), "source": f, "target": t, "type": "handoff",
                "data": {"label": "can hand off to", "bidirectional": false},
            }));
        }
        json!({
            "nodes": nodes,
            "edges": edges,
            "metadata": {
                "agencyName": self.name(),
                "totalAgents": self.agent_names().len(),
                "totalTools": total_tools,
                "agents": self.agent_names(),
                "entryPoints": self.entry_points(),
                "sharedInstructions": self.shared_instructions(),
                "layoutAlgorithm": "hierarchical",
            },
            "agency_rs": {"name": "agency-rs", "version": env!("CARGO_PKG_VERSION")},
        })
    }

    /// Layer of each agent: its distance from the entry points along flows and handoffs;
    /// agents no flow reaches go one layer below the deepest.
    fn layers(&self) -> BTreeMap<&str, usize> {
        let mut layer: BTreeMap<&str, usize> = BTreeMap::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        for e in self.entry_points() {
            layer.insert(e, 0);
            queue.push_back(e);
        }
        while let Some(current) = queue.pop_front() {
            let depth = layer.get(current).copied().unwrap_or(0);
            let next = self
                .flows()
                .iter()
                .chain(self.handoffs())
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
        for name in self.agent_names() {
            layer.entry(name.as_str()).or_insert(deepest + 1);
        }
        layer
    }
}
