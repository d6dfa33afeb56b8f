// The built-in web chat of agency-rs (GET /chat). No dependencies, no build step: it talks to the
// agency routes of the server that served it (get_metadata, get_response_stream,
// cancel_response_stream, chats) with relative URLs, so nothing leaves that server.
"use strict";

const CONFIG = JSON.parse(document.getElementById("config").textContent);
const ROOT = CONFIG.root;
const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "agency-chat:token";
const store = {
  get(key, fallback) {
    try { const v = localStorage.getItem(key); return v === null ? fallback : JSON.parse(v); } catch { return fallback; }
  },
  set(key, value) {
    try { value === undefined ? localStorage.removeItem(key) : localStorage.setItem(key, JSON.stringify(value)); } catch { /* full or off */ }
  },
};

// ---------- Markdown (escaped first, so no HTML from an answer ever runs) ----------

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

function inline(text) {
  const codes = [];
  let s = text.replace(/`([^`\n]+)`/g, (_, c) => { codes.push(c); return `\u0000${codes.length - 1}\u0000`; });
  s = esc(s)
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
    .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, "$1<em>$2</em>")
    .replace(/(^|\W)_([^_\n]+)_(?!\w)/g, "$1<em>$2</em>")
    .replace(/~~([^~\n]+)~~/g, "<del>$1</del>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => `<code>${esc(codes[Number(i)])}</code>`);
}

function markdown(src) {
  const lines = String(src).replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let para = [];
  let list = null; // {tag, items}
  const flushPara = () => { if (para.length) { out.push(`<p>${para.map(inline).join("<br>")}</p>`); para = []; } };
  const flushList = () => { if (list) { out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`); list = null; } };
  const flush = () => { flushPara(); flushList(); };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^\s*(```|~~~)\s*([\w+-]*)/);
    if (fence) {
      flush();
      const body = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      const lang = fence[2] ? ` class="language-${esc(fence[2])}"` : "";
      out.push(`<pre><code${lang}>${esc(body.join("\n"))}</code></pre>`);
      continue;
    }
    let m;
    if (!line.trim()) { flush(); continue; }
    if ((m = line.match(/^(#{1,6})\s+(.*)$/))) { flush(); out.push(`<h${m[1].length}>${inline(m[2])}</h${m[1].length}>`); continue; }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) { flush(); out.push("<hr>"); continue; }
    if ((m = line.match(/^\s*>\s?(.*)$/))) { flush(); out.push(`<blockquote>${inline(m[1])}</blockquote>`); continue; }
    if (line.includes("|") && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1])) {
      flush();
      const cells = (l) => l.trim().replace(/^\||\|$/g, "").split("|").map((c) => inline(c.trim()));
      const head = cells(line).map((c) => `<th>${c}</th>`).join("");
      const rows = [];
      for (i += 2; i < lines.length && lines[i].includes("|"); i++) rows.push(`<tr>${cells(lines[i]).map((c) => `<td>${c}</td>`).join("")}</tr>`);
      i--;
      out.push(`<table><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`);
      continue;
    }
    if ((m = line.match(/^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/))) {
      flushPara();
      const tag = m[1] ? "ul" : "ol";
      if (list && list.tag !== tag) flushList();
      if (!list) list = { tag, items: [] };
      list.items.push(m[3]);
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) { list.items[list.items.length - 1] += " " + line.trim(); continue; }
    flushList();
    para.push(line);
  }
  flush();
  return out.join("");
}

// ---------- the server ----------

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

class AuthNeeded extends Error {}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token()) headers.authorization = `Bearer ${token()}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(ROOT + path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    cache: "no-store",
  });
  if (response.status === 401) { askToken("The token was refused; enter it again."); throw new AuthNeeded("auth"); }
  return response;
}

async function errorText(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (typeof body.error === "string") return body.error;
    if (body.error && body.error.message) return body.error.message;
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  } catch { /* not JSON */ }
  return `${response.status} ${response.statusText || text.slice(0, 200)}`;
}

/** The events of a `text/event-stream` body: {event, data, id}. */
async function* sse(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame = { event: "message", data: "" };
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") data.push(value);
        else if (field === "event") frame.event = value;
        else if (field === "id") frame.id = value;
      }
      frame.data = data.join("\n");
      if (data.length) yield frame;
    }
  }
}

// ---------- the page's state ----------

const state = {
  route: null,
  metadata: null,
  recipient: "",
  chatId: null, // server-side conversation
  history: [], // the conversation's items (new_messages), when the browser keeps it
  agui: [], // AG-UI mode: the messages of the last MESSAGES_SNAPSHOT
  running: null, // {runId, controller, cancelled}
  files: [],
};

const key = (what) => `agency-chat:${state.route}:${what}`;

function setStatus(text, isError) {
  const status = $("status");
  status.textContent = text || "";
  status.className = isError ? "error" : "";
}

function askToken(message) {
  const error = $("token-error");
  error.hidden = !message;
  error.textContent = message || "";
  const dialog = $("token-dialog");
  if (!dialog.open) dialog.showModal();
  $("token-input").focus();
}

// ---------- rendering a conversation ----------

const messages = () => $("messages");
const scroll = () => { const m = messages(); m.scrollTop = m.scrollHeight; };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function userBubble(text, files) {
  const bubble = el("div", "msg user", text);
  if (files && files.length) bubble.append(el("div", "files", `Attached: ${files.join(", ")}`));
  messages().append(bubble);
  scroll();
  return bubble;
}

/** An assistant answer whose Markdown is rendered as text arrives. */
class Answer {
  constructor(parent, agent) {
    this.text = "";
    this.node = el("div", "msg assistant");
    this.node.dataset.agent = agent || "";
    this.node.append(el("div", "agent-name", agent || "assistant"));
    this.body = el("div", "body");
    this.node.append(this.body);
    parent.append(this.node);
    this.frame = 0;
  }
  append(delta) { this.set(this.text + delta); }
  set(text) {
    this.text = text;
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }
  render() { this.body.innerHTML = markdown(this.text); scroll(); }
}

function stringify(value) {
  if (typeof value === "string") {
    try { return JSON.stringify(JSON.parse(value), null, 2); } catch { return value; }
  }
  return JSON.stringify(value, null, 2);
}

function parseArgs(args) { try { return JSON.parse(args || "{}") || {}; } catch { return {}; } }

/** A tool call, a delegation (send_message) or a handoff, as a collapsible step. */
class Step {
  constructor(parent, agent, call) {
    const args = parseArgs(call.arguments);
    this.agent = agent;
    this.node = el("details", "step pending");
    this.node.dataset.callId = call.call_id || "";
    this.node.dataset.tool = call.name || "";
    const summary = el("summary");
    if (call.name === "send_message") {
      this.node.classList.add("delegation");
      summary.textContent = `→ ${agent} asks ${args.recipient_agent || "an agent"}: ${args.message || ""}`.slice(0, 160);
    } else if (/^transfer_to_/.test(call.name || "")) {
      this.node.classList.add("handoff");
      summary.textContent = `⇒ ${agent} hands off (${call.name})`;
    } else {
      summary.textContent = `${agent} called ${call.name}`;
    }
    this.node.append(summary);
    this.args = el("div", "args", stringify(call.arguments || "{}"));
    this.inner = el("div", "inner");
    this.output = el("div", "step-output");
    this.output.hidden = true;
    this.node.append(this.args, this.inner, this.output);
    parent.append(this.node);
    scroll();
  }
  done(output) {
    this.node.classList.remove("pending");
    this.output.hidden = false;
    this.output.textContent = stringify(output === undefined || output === null ? "" : output);
  }
  handedOff(target) {
    this.node.classList.remove("pending");
    this.node.querySelector("summary").textContent = `⇒ ${this.agent} handed off to ${target}`;
  }
}

/** Where one answer's events go: answers per item, steps per call, sub-agents inside their step. */
class Turn {
  constructor() {
    this.node = el("div", "turn");
    messages().append(this.node);
    this.answers = new Map();
    this.steps = new Map();
  }
  /** The container of events from `meta`: a sub-agent's go inside the send_message step. */
  parent(meta) {
    const step = meta.parent_run_id && this.steps.get(meta.parent_run_id);
    return step ? step.inner : this.node;
  }
  answer(meta, itemId) {
    const id = `${meta.agent_run_id || ""}/${itemId || ""}`;
    let answer = this.answers.get(id);
    if (!answer) { answer = new Answer(this.parent(meta), meta.agent); this.answers.set(id, answer); }
    return answer;
  }
  call(meta, call) {
    if (this.steps.has(call.call_id)) return this.steps.get(call.call_id);
    const step = new Step(this.parent(meta), meta.agent, call);
    this.steps.set(call.call_id, step);
    return step;
  }
  output(callId, output) { const s = this.steps.get(callId); if (s) s.done(output); }
  error(message) { this.node.append(el("div", "msg error", message)); scroll(); }
  usage(usage, cancelled) {
    const line = el("div", cancelled ? "usage cancelled" : "usage");
    const parts = [];
    if (cancelled) parts.push("stopped");
    if (usage) {
      parts.push(`${usage.request_count} model call${usage.request_count === 1 ? "" : "s"}`);
      parts.push(`${usage.input_tokens} in + ${usage.output_tokens} out = ${usage.total_tokens} tokens`);
      parts.push(`$${Number(usage.total_cost || 0).toFixed(6)}`);
    }
    line.textContent = parts.join(" · ");
    this.node.append(line);
    scroll();
  }
}

function messageText(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => p.text || p.refusal || "").join("");
}

function fileNames(content) {
  if (!Array.isArray(content)) return [];
  return content.filter((p) => p.type === "input_file" || p.type === "input_image").map((p) => p.filename || p.file_id || "image");
}

/** Draws stored items (a chat, or `new_messages` the browser kept) as the stream would have. */
function renderItems(items) {
  let turn = null;
  for (const item of items) {
    const meta = { agent: item.agent, agent_run_id: item.agent_run_id, parent_run_id: item.parent_run_id };
    const type = item.type || "message";
    if (type === "message" && item.role === "user" && !item.callerAgent) {
      userBubble(messageText(item.content), fileNames(item.content));
      turn = new Turn();
    } else if (type === "message" && item.role === "assistant") {
      turn = turn || new Turn();
      turn.answer(meta, item.id).set(messageText(item.content));
    } else if (type === "function_call") {
      turn = turn || new Turn();
      turn.call(meta, item);
    } else if (type === "function_call_output") {
      if (turn) turn.output(item.call_id, item.output);
    }
  }
  quickReplies();
}

function clearMessages() { messages().replaceChildren(); }

// ---------- the agency: graph, recipients, starters ----------

function agentNode(name) {
  return (state.metadata?.nodes || []).find((n) => n.type === "agent" && n.id === name);
}

function drawGraph(metadata) {
  const svg = $("graph");
  const ns = "http://www.w3.org/2000/svg";
  const mk = (tag, attrs) => { const n = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); return n; };
  svg.replaceChildren();
  const nodes = metadata.nodes || [];
  const size = (n) => (n.type === "agent" ? [120, 40] : [100, 24]);
  const at = new Map(nodes.map((n) => [n.id, n]));
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const n of nodes) {
    const [w, h] = size(n);
    minX = Math.min(minX, n.position.x - w / 2); maxX = Math.max(maxX, n.position.x + w / 2);
    minY = Math.min(minY, n.position.y - h / 2); maxY = Math.max(maxY, n.position.y + h / 2);
  }
  if (!nodes.length) return;
  svg.setAttribute("viewBox", `${minX - 10} ${minY - 10} ${maxX - minX + 20} ${maxY - minY + 20}`);
  const defs = mk("defs", {});
  for (const [id, color] of [["arrow", "#2f6fdf"], ["arrow-h", "#c26a00"]]) {
    const marker = mk("marker", { id, viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "6", markerHeight: "6", orient: "auto-start-reverse" });
    marker.append(mk("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: color }));
    defs.append(marker);
  }
  svg.append(defs);
  for (const e of metadata.edges || []) {
    const a = at.get(e.source), b = at.get(e.target);
    if (!a || !b) continue;
    const attrs = { x1: a.position.x, y1: a.position.y + size(a)[1] / 2, x2: b.position.x, y2: b.position.y - size(b)[1] / 2, class: `edge ${e.type}` };
    if (e.type === "communication") attrs["marker-end"] = "url(#arrow)";
    if (e.type === "handoff") attrs["marker-end"] = "url(#arrow-h)";
    const line = mk("line", attrs);
    const title = mk("title", {});
    title.textContent = `${e.source} ${e.type === "handoff" ? "hands off to" : e.type === "owns" ? "has the tool" : "can send messages to"} ${b.data?.label || e.target}`;
    line.append(title);
    svg.append(line);
  }
  for (const n of nodes) {
    const [w, h] = size(n);
    const g = mk("g", { class: `${n.type}${n.data?.isEntryPoint ? " entry" : ""}`, "data-id": n.id });
    g.append(mk("rect", { x: n.position.x - w / 2, y: n.position.y - h / 2, width: w, height: h, rx: 6 }));
    const label = mk("text", { x: n.position.x, y: n.position.y });
    label.textContent = n.data?.label || n.id;
    const title = mk("title", {});
    title.textContent = n.data?.description || label.textContent;
    g.append(label, title);
    if (n.type === "agent") g.addEventListener("click", () => { $("recipient").value = n.id; chooseRecipient(); });
    svg.append(g);
  }
}

function chooseRecipient() {
  state.recipient = $("recipient").value;
  store.set(key("recipient"), state.recipient);
  for (const g of $("graph").querySelectorAll("g.agent")) g.classList.toggle("selected", g.dataset.id === currentAgent());
  starters();
}

/** The agent that gets the next message: the chosen one, else the first entry point. */
function currentAgent() {
  return state.recipient || state.metadata?.metadata?.entryPoints?.[0] || state.metadata?.metadata?.agents?.[0] || "";
}

function buttons(container, texts) {
  container.replaceChildren();
  for (const text of texts || []) {
    const b = el("button", "", text);
    b.type = "button";
    b.addEventListener("click", () => { $("input").value = text; send(); });
    container.append(b);
  }
}

function starters() {
  const empty = !messages().querySelector(".msg");
  buttons($("starters"), empty ? agentNode(currentAgent())?.data?.conversationStarters : []);
}

function quickReplies() {
  for (const q of messages().querySelectorAll(".quick")) q.remove();
  const answers = messages().querySelectorAll(".turn > .msg.assistant");
  const last = answers[answers.length - 1];
  const replies = last && agentNode(last.dataset.agent)?.data?.quickReplies;
  if (replies && replies.length) {
    const row = el("div", "quick");
    buttons(row, replies);
    messages().append(row);
  }
  starters();
}

// ---------- conversations ----------

async function loadChats() {
  if (!CONFIG.threads || CONFIG.agui) return;
  const response = await api(`${state.route}/chats?limit=50`);
  if (!response.ok) return setStatus(await errorText(response), true);
  const { chats } = await response.json();
  const list = $("chats");
  list.replaceChildren();
  const labels = store.get(`agency-chat:${state.route}:labels`, {});
  for (const chat of chats) {
    const li = el("li", chat.chat_id === state.chatId ? "current" : "", chat.chat_name || labels[chat.chat_id] || new Date(chat.created_at / 1000).toLocaleString());
    li.dataset.chatId = chat.chat_id;
    li.addEventListener("click", () => openChat(chat.chat_id));
    list.append(li);
  }
}

async function openChat(chatId) {
  if (state.running) return;
  clearMessages();
  state.chatId = chatId;
  store.set(key("chat"), chatId || undefined);
  if (chatId) {
    const response = await api(`${state.route}/chats/${encodeURIComponent(chatId)}`);
    if (response.status === 404) { state.chatId = null; store.set(key("chat"), undefined); }
    else if (!response.ok) setStatus(await errorText(response), true);
    else renderItems((await response.json()).messages || []);
  }
  starters();
  await loadChats();
}

function restoreLocal() {
  clearMessages();
  if (CONFIG.agui) {
    state.agui = store.get(key("agui"), []);
    for (const m of state.agui) {
      if (m.role === "user") { userBubble(messageText(m.content)); }
      else if (m.role === "assistant" && m.content) new Turn().answer({ agent: m.name || "assistant" }, m.id).set(m.content);
    }
  } else {
    state.history = store.get(key("history"), []);
    renderItems(state.history);
  }
  starters();
}

// ---------- sending ----------

async function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function userMessage(text) {
  if (!state.files.length) return text;
  const content = [{ type: "input_text", text }];
  for (const file of state.files) {
    const data = await readFile(file);
    if (file.type.startsWith("image/")) content.push({ type: "input_image", image_url: data, detail: "auto" });
    else content.push({ type: "input_file", filename: file.name, file_data: data });
  }
  return [{ role: "user", content }];
}

function running(on) {
  $("send").disabled = on;
  $("stop").hidden = !on;
  $("input").readOnly = on;
}

async function send(event) {
  if (event) event.preventDefault();
  const text = $("input").value.trim();
  if (!text || state.running) return;
  const files = state.files.map((f) => f.name);
  const message = await userMessage(text);
  const bytes = JSON.stringify(message).length;
  if (CONFIG.body_limit && bytes > CONFIG.body_limit * 0.95) {
    return setStatus(`The attachments are too large for this server (its limit is ${CONFIG.body_limit} bytes).`, true);
  }
  $("input").value = "";
  state.files = [];
  $("attachments").replaceChildren();
  $("starters").replaceChildren();
  for (const q of messages().querySelectorAll(".quick")) q.remove();
  userBubble(text, files);
  const turn = new Turn();
  const controller = new AbortController();
  state.running = { runId: null, controller, cancelled: false };
  running(true);
  setStatus(`${currentAgent()} is working…`);
  try {
    if (CONFIG.agui) await sendAgui(text, turn, controller);
    else await sendStream(message, text, turn, controller);
    if (!$("status").classList.contains("error")) setStatus("");
  } catch (e) {
    if (e instanceof AuthNeeded) { setStatus("A token is needed.", true); }
    else if (e.name === "AbortError") { turn.usage(null, true); setStatus(""); }
    else { turn.error(`The request failed: ${e.message}`); setStatus(""); }
  } finally {
    state.running = null;
    running(false);
    quickReplies();
    $("input").focus();
  }
}

async function sendStream(message, text, turn, controller) {
  const body = { message };
  if (state.recipient) body.recipient_agent = state.recipient;
  if (CONFIG.threads) body.chat_id = state.chatId || "new";
  else if (state.history.length) body.chat_history = state.history;
  const response = await api(`${state.route}/get_response_stream`, { method: "POST", body, signal: controller.signal });
  if (!response.ok) { turn.error(await errorText(response)); return; }
  for await (const frame of sse(response)) {
    let data;
    try { data = JSON.parse(frame.data); } catch { continue; }
    if (frame.event === "meta") {
      state.running.runId = data.run_id;
      if (data.chat_id && data.chat_id !== state.chatId) {
        state.chatId = data.chat_id;
        store.set(key("chat"), data.chat_id);
        const labels = store.get(`agency-chat:${state.route}:labels`, {});
        labels[data.chat_id] = text.slice(0, 60);
        store.set(`agency-chat:${state.route}:labels`, labels);
      }
    } else if (frame.event === "messages") {
      if (!CONFIG.threads) {
        state.history = state.history.concat(data.new_messages || []);
        store.set(key("history"), state.history);
      }
      turn.usage(data.usage, data.cancelled || state.running.cancelled);
    } else if (frame.event === "end") {
      break;
    } else if (data && data.data) {
      event(turn, data.data);
    }
  }
  await loadChats();
}

/** One Agency Swarm stream event. */
function event(turn, ev) {
  if (ev.type === "raw_response_event") {
    const raw = ev.data || {};
    if (raw.type === "response.output_text.delta") turn.answer(ev, ev.item_id || raw.item_id).append(raw.delta || "");
  } else if (ev.type === "run_item_stream_event") {
    const raw = ev.item?.raw_item || {};
    if (ev.name === "tool_called" || ev.name === "handoff_requested") turn.call(ev, raw);
    else if (ev.name === "tool_output") turn.output(raw.call_id, ev.item.output ?? raw.output);
    else if (ev.name === "handoff_occured") { const s = turn.steps.get(raw.call_id); if (s) s.handedOff(ev.item.target_agent?.name || ""); }
    else if (ev.name === "message_output_created" && raw.role === "assistant") {
      const answer = turn.answer(ev, ev.item_id || raw.id);
      const full = messageText(raw.content);
      if (full && full !== answer.text) answer.set(full);
    }
  } else if (ev.type === "agent_updated_stream_event") {
    setStatus(`${ev.new_agent?.name || ev.agent} is working…`);
  } else if (ev.type === "error") {
    turn.error(ev.content || "The run failed.");
  }
}

/** AG-UI mode: the page keeps the messages and sends them as a RunAgentInput. */
async function sendAgui(text, turn, controller) {
  const id = () => (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
  const messages = state.agui.concat([{ id: id(), role: "user", content: text }]);
  let threadId = store.get(key("thread"), null);
  if (!threadId) { threadId = id(); store.set(key("thread"), threadId); }
  const body = { threadId, runId: id(), messages, tools: [], context: [], state: {}, forwardedProps: {} };
  const response = await api(`${state.route}/get_response_stream`, { method: "POST", body, signal: controller.signal });
  if (!response.ok) { turn.error(await errorText(response)); return; }
  let agent = currentAgent();
  let snapshot = null;
  for await (const frame of sse(response)) {
    let ev;
    try { ev = JSON.parse(frame.data); } catch { continue; }
    const meta = { agent, agent_run_id: "agui" };
    switch (ev.type) {
      case "STEP_STARTED": agent = ev.stepName; setStatus(`${agent} is working…`); break;
      case "TEXT_MESSAGE_CONTENT": turn.answer(meta, ev.messageId).append(ev.delta || ""); break;
      case "TOOL_CALL_START": turn.call(meta, { call_id: ev.toolCallId, name: ev.toolCallName, arguments: "" }).args.textContent = ""; break;
      case "TOOL_CALL_ARGS": { const s = turn.steps.get(ev.toolCallId); if (s) s.args.textContent += ev.delta || ""; break; }
      case "TOOL_CALL_RESULT": turn.output(ev.toolCallId, ev.content); break;
      case "MESSAGES_SNAPSHOT": snapshot = ev.messages; break;
      case "RUN_ERROR": turn.error(ev.message || "The run failed."); break;
      default: break;
    }
  }
  state.agui = snapshot || messages;
  store.set(key("agui"), state.agui);
  turn.usage(null, false);
}

async function stop() {
  const run = state.running;
  if (!run) return;
  run.cancelled = true;
  setStatus("Stopping…");
  if (CONFIG.agui || !run.runId) { run.controller.abort(); return; }
  try {
    const response = await api(`${state.route}/cancel_response_stream`, { method: "POST", body: { run_id: run.runId } });
    if (!response.ok && response.status !== 404) run.controller.abort();
  } catch { run.controller.abort(); }
}

// ---------- start ----------

async function start() {
  const routes = CONFIG.agencies.map((a) => a.route);
  const select = $("agency");
  for (const a of CONFIG.agencies) { const o = el("option", "", a.name); o.value = a.route; select.append(o); }
  state.route = CONFIG.agency && routes.includes(CONFIG.agency) ? CONFIG.agency : routes[0];
  if (!state.route) { setStatus("This server serves no agency.", true); $("send").disabled = true; return; }
  select.value = state.route;
  select.addEventListener("change", () => { location.href = `${ROOT}chat/${encodeURIComponent(select.value)}`; });
  $("change-token").hidden = !CONFIG.auth;
  if (CONFIG.auth && !token()) { askToken(); return; }
  await load();
}

async function load() {
  try {
    const response = await api(`${state.route}/get_metadata`);
    if (!response.ok) { setStatus(await errorText(response), true); return; }
    state.metadata = await response.json();
    drawGraph(state.metadata);
    const recipients = $("recipient");
    recipients.replaceChildren();
    for (const name of state.metadata.metadata?.agents || []) { const o = el("option", "", name); o.value = name; recipients.append(o); }
    const saved = store.get(key("recipient"), "");
    recipients.value = (state.metadata.metadata?.agents || []).includes(saved) ? saved : currentAgent();
    state.recipient = saved && recipients.value === saved ? saved : "";
    chooseRecipient();
    $("attach-label").hidden = CONFIG.agui;
    if (CONFIG.threads && !CONFIG.agui) {
      $("chats-box").hidden = false;
      await openChat(store.get(key("chat"), null));
    } else {
      $("local-box").hidden = false;
      restoreLocal();
    }
    $("input").focus();
  } catch (e) {
    if (!(e instanceof AuthNeeded)) setStatus(`Could not reach the server: ${e.message}`, true);
  }
}

$("composer").addEventListener("submit", send);
$("input").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); } });
$("stop").addEventListener("click", stop);
$("recipient").addEventListener("change", chooseRecipient);
$("new-chat").addEventListener("click", () => openChat(null));
$("clear-local").addEventListener("click", () => {
  if (state.running) return;
  store.set(key("history"), undefined); store.set(key("agui"), undefined); store.set(key("thread"), undefined);
  restoreLocal();
});
$("attach").addEventListener("change", (e) => {
  state.files = Array.from(e.target.files || []);
  $("attachments").replaceChildren(...state.files.map((f) => el("span", "", f.name)));
  e.target.value = "";
});
$("change-token").addEventListener("click", () => askToken());
$("token-form").addEventListener("submit", () => {
  const value = $("token-input").value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $("token-input").value = "";
  load();
});
start();
