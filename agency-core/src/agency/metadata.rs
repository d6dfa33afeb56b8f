//! The agency as a graph: what `GET /{agency}/get_metadata` shows, without the canvas layout
//! (the HTTP layer places the nodes).

use serde::Serialize;
use serde_json::Value;

use super::Agency;
use crate::{Agent, Tool};

impl Agency {
    /// The agency as a graph, in the JSON shape of Agency Swarm's `get_metadata`: per agent its
    /// tool nodes, then its agent node; `owns`, `communication` and `handoff` edges; a summary
    /// under `metadata`; and the framework's name and version under `agency_rs`.
    ///
    /// Nodes carry no `position`: laying them out on a canvas is the HTTP layer's job
    /// (`agency_http::agency::metadata` adds positions).
    ///
    /// ```
    /// use agency_core::{Agency, Agent};
    ///
    /// let ceo = Agent::builder("CEO").description("Runs the company.").build();
    /// let dev = Agent::builder("Developer").description("Writes code.").build();
    /// let agency = Agency::builder("Shop").entry(ceo.clone()).flow(ceo, dev).build().unwrap();
    /// let graph = agency.metadata();
    /// assert_eq!(graph["nodes"][0]["id"], "CEO");
    /// assert_eq!(graph["nodes"][0]["type"], "agent");
    /// assert!(graph["nodes"][0].get("position").is_none());
    /// assert_eq!(graph["edges"][0]["id"], "CEO->Developer");
    /// assert_eq!(graph["metadata"]["entryPoints"], serde_json::json!(["CEO"]));
    /// ```
    pub fn metadata(&self) -> Value {
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        let mut total_tools = 0;
        for agent in self.agents() {
            let name = agent.name();
            let own: &[Tool] = self.0.own_tools.get(name).map_or(&[], Vec::as_slice);
            total_tools += own.len();
            for (j, tool) in own.iter().enumerate() {
                let id = format!("{name}_tool_{j}");
                edges.push(Edge {
                    id: format!("{name}->{id}"),
                    source: name,
                    target: id.clone(),
                    kind: "owns",
                    data: None,
                });
                nodes.push(Node {
                    id,
                    kind: "tool",
                    data: NodeData::Tool(ToolNode {
                        label: tool.name(),
                        description: tool.description(),
                        kind: "function",
                        parent_agent: name,
                    }),
                });
            }
            nodes.push(Node {
                id: name.to_owned(),
                kind: "agent",
                data: NodeData::Agent(self.agent_node(agent, own)),
            });
        }
        for flow in self.flows() {
            edges.push(Edge::link(flow, "communication", "can send messages to"));
        }
        for handoff in self.handoffs() {
            edges.push(Edge::link(handoff, "handoff", "can hand off to"));
        }
        let graph = Graph {
            nodes,
            edges,
            metadata: Summary {
                agency_name: self.name(),
                total_agents: self.agent_names().len(),
                total_tools,
                agents: self.agent_names(),
                entry_points: self.entry_points(),
                shared_instructions: self.shared_instructions(),
            },
            agency_rs: Framework {
                name: "agency-rs",
                version: env!("CARGO_PKG_VERSION"),
            },
        };
        serde_json::to_value(graph).unwrap_or_default()
    }

    fn agent_node<'a>(&self, agent: &'a Agent, own: &'a [Tool]) -> AgentNode<'a> {
        let mut capabilities = Vec::new();
        if !own.is_empty() {
            capabilities.push("tools");
        }
        if agent.is_reasoning_model() {
            capabilities.push("reasoning");
        }
        AgentNode {
            label: agent.name(),
            description: agent.description(),
            is_entry_point: self.entry_points().iter().any(|e| e == agent.name()),
            tool_count: own.len(),
            tools: own
                .iter()
                .map(|t| ToolSummary {
                    name: t.name(),
                    kind: "function",
                    description: t.description(),
                    input_schema: t.parameters(),
                })
                .collect(),
            instructions: agent.instructions(),
            model: agent.model(),
            has_subagents: self.flows().iter().any(|(s, _)| s == agent.name()),
            capabilities,
            conversation_starters: agent.conversation_starters(),
            quick_replies: agent.quick_replies(),
        }
    }
}

// The wire shapes, in the order their keys appear.

#[derive(Serialize)]
struct Graph<'a> {
    nodes: Vec<Node<'a>>,
    edges: Vec<Edge<'a>>,
    metadata: Summary<'a>,
    agency_rs: Framework,
}

#[derive(Serialize)]
struct Node<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    data: NodeData<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum NodeData<'a> {
    Tool(ToolNode<'a>),
    Agent(AgentNode<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolNode<'a> {
    label: &'a str,
    description: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    parent_agent: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AgentNode<'a> {
    label: &'a str,
    description: &'a str,
    is_entry_point: bool,
    tool_count: usize,
    tools: Vec<ToolSummary<'a>>,
    instructions: &'a str,
    model: String,
    has_subagents: bool,
    capabilities: Vec<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    conversation_starters: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    quick_replies: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolSummary<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'a str,
    input_schema: &'a Value,
}

#[derive(Serialize)]
struct Edge<'a> {
    id: String,
    source: &'a str,
    target: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<EdgeData>,
}

impl<'a> Edge<'a> {
    /// A flow or handoff edge (`A->B` or `A=>B`).
    fn link(
        (source, target): &'a (String, String),
        kind: &'static str,
        label: &'static str,
    ) -> Self {
        let arrow = if kind == "handoff" { "=>" } else { "->" };
        Edge {
            id: format!("{source}{arrow}{target}"),
            source,
            target: target.clone(),
            kind,
            data: Some(EdgeData {
                label,
                bidirectional: false,
            }),
        }
    }
}

#[derive(Serialize)]
struct EdgeData {
    label: &'static str,
    bidirectional: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    agency_name: &'a str,
    total_agents: usize,
    total_tools: usize,
    agents: &'a [String],
    entry_points: &'a [String],
    shared_instructions: &'a str,
}

#[derive(Serialize)]
struct Framework {
    name: &'static str,
    version: &'static str,
}
