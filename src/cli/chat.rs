//! A conversation with an agency in the terminal: `chat` and `run` of `agency::main()`.
//!
//! [`Chat`] sends each message to the agency as a streamed run and prints what happens as plain
//! lines: the answer's text as it arrives, each delegation (`→ CEO asks Developer: ...`) with the
//! sub-agent's answer indented under it, handoffs (`⇒ Triage hands off to Billing`) and tool calls
//! (`· add({"a":2,"b":40}) = 42`). The conversation is kept across turns: every run gets the items
//! of the earlier ones as its history.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, ReadBuf};
use tokio::sync::mpsc;

use crate::item::{FunctionCall, Meta};
use crate::model::ModelEvent;
use crate::{Agency, CancelMode, Entry, RunConfig, RunControl, RunEvent, RunOutput};

use super::{Error, Result};

/// Longest tool argument or output shown, in characters; longer ones are cut with `…`.
const SHOWN_CHARS: usize = 300;

/// A conversation with an agency, rendered as plain text lines.
///
/// Each [`Chat::send`] is one turn: a streamed run of the agency whose history is every item of
/// the earlier turns, printed to a writer as it happens. [`Chat::run`] reads the user's lines
/// from an input until its end (or `/exit`) and sends each. Nothing depends on a terminal:
/// colour, the prompt and Ctrl-C handling are off unless asked for (`agency::main()` turns them
/// on when standard input and output are terminals).
///
/// ```no_run
/// # async fn demo(agency: agency::Agency) -> agency::Result<()> {
/// let mut chat = agency::Chat::new(agency).config(agency::RunConfig::from_env());
/// let stdin = tokio::io::BufReader::new(&b"How many lines are in 'a\\nb'?\n"[..]);
/// chat.run(stdin, &mut std::io::stdout()).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Chat {
    agency: Agency,
    recipient: Option<String>,
    config: RunConfig,
    history: Vec<Entry>,
    colour: bool,
    interactive: bool,
    ctrl_c: bool,
}

impl Chat {
    /// A new conversation with `agency`, addressed to its first entry point, with the model
    /// client configured from the environment ([`RunConfig::from_env`]).
    pub fn new(agency: Agency) -> Chat {
        Chat {
            agency,
            recipient: None,
            config: RunConfig::from_env(),
            history: Vec::new(),
            colour: false,
            interactive: false,
            ctrl_c: false,
        }
    }

    /// Sends every message to `agent` instead of the agency's first entry point.
    pub fn recipient(mut self, agent: impl Into<String>) -> Chat {
        self.recipient = Some(agent.into());
        self
    }

    /// Runs every turn with `config` (its model client, user context, ...); its history is
    /// replaced by the conversation's and its cancel handle by a fresh one each turn.
    pub fn config(mut self, config: RunConfig) -> Chat {
        self.config = config;
        self
    }

    /// Colours the output with ANSI escapes (off by default).
    pub fn colour(mut self, on: bool) -> Chat {
        self.colour = on;
        self
    }

    /// Prints a greeting and a `> ` prompt before each line is read (off by default), for a
    /// person typing rather than a file or a pipe.
    pub fn interactive(mut self, on: bool) -> Chat {
        self.interactive = on;
        self
    }

    /// Cancels the turn in progress on Ctrl-C, and ends [`Chat::run`] on Ctrl-C at the prompt
    /// (off by default). Once on, Ctrl-C no longer ends the process by itself.
    pub fn cancel_on_ctrl_c(mut self, on: bool) -> Chat {
        self.ctrl_c = on;
        self
    }

    /// The agency the conversation is with.
    pub fn agency(&self) -> &Agency {
        &self.agency
    }

    /// The conversation so far: the items of every completed turn, with their metadata.
    pub fn history(&self) -> &[Entry] {
        &self.history
    }

    /// Forgets the conversation; the next turn starts a new one.
    pub fn reset(&mut self) {
        self.history.clear();
    }

    /// The agent that gets the messages.
    fn recipient_name(&self) -> &str {
        self.recipient
            .as_deref()
            .unwrap_or_else(|| self.agency.default_recipient())
    }

    /// Checks that the recipient is one of the agency's agents.
    fn check_recipient(&self) -> Result<()> {
        let name = self.recipient_name();
        if self.agency.agent(name).is_some() {
            return Ok(());
        }
        Err(Error::UnknownRecipient {
            agency: self.agency.name().to_owned(),
            name: name.to_owned(),
            available: self.agency.agent_names().to_vec(),
        })
    }

    /// One turn: sends `message`, prints the run to `out` as it happens, and adds the run's items
    /// to the conversation. A failed run is [`Error::Run`] and leaves the conversation as it was;
    /// a cancelled one keeps what it completed.
    pub async fn send(&mut self, message: &str, out: &mut impl Write) -> Result<RunOutput> {
        self.check_recipient()?;
        let control = RunControl::new();
        let config = self
            .config
            .clone()
            .history(self.history.clone())
            .control(control.clone());
        let recipient = self.recipient.as_deref();
        let mut stream = self.agency.run_streamed(message, recipient, config);
        let watcher = self.ctrl_c.then(|| {
            let control = control.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    control.cancel(CancelMode::Immediate);
                }
            })
        });
        let mut view = Renderer::new(self.colour);
        let mut written = Ok(());
        while let Some(event) = stream.next().await {
            if written.is_ok() {
                written = view.event(&event, out);
            }
        }
        let result = stream.finish().await;
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        written.map_err(stdout_error)?;
        match result {
            Ok(output) => {
                view.end(&output, out).map_err(stdout_error)?;
                self.history.extend(output.new_items.iter().cloned());
                Ok(output)
            }
            Err(failure) => {
                view.close_line(out).map_err(stdout_error)?;
                Err(Error::Run(Box::new(failure)))
            }
        }
    }

    /// Reads lines from `input` until its end, `/exit` or `/quit`, and sends each as a turn,
    /// printing to `out`. Empty lines are skipped, `/reset` forgets the conversation. A turn that
    /// fails is reported on `out` (`! ...`) and the conversation goes on; only a recipient the
    /// agency does not have, or output that cannot be written, ends it with an error.
    pub async fn run(
        &mut self,
        mut input: impl AsyncBufRead + Unpin,
        out: &mut impl Write,
    ) -> Result<()> {
        self.check_recipient()?;
        let paint = Paint(self.colour);
        if self.interactive {
            let agents = self.agency.agent_names().join(", ");
            writeln!(
                out,
                "{}",
                paint.dim(&format!(
                    "{}: talking to {} (agents: {agents}). /exit or end of input to leave, /reset to start over.",
                    self.agency.name(),
                    self.recipient_name(),
                ))
            )
            .map_err(stdout_error)?;
        }
        let mut line = String::new();
        loop {
            if self.interactive {
                write!(out, "{}", paint.bold("> ")).map_err(stdout_error)?;
                out.flush().map_err(stdout_error)?;
            }
            line.clear();
            let read = if self.ctrl_c {
                tokio::select! {
                    read = input.read_line(&mut line) => read,
                    _ = tokio::signal::ctrl_c() => {
                        if self.interactive {
                            writeln!(out).map_err(stdout_error)?;
                        }
                        return Ok(());
                    }
                }
            } else {
                input.read_line(&mut line).await
            };
            let n = read.map_err(|source| Error::Write {
                path: "standard input".into(),
                source,
            })?;
            if n == 0 {
                if self.interactive {
                    writeln!(out).map_err(stdout_error)?;
                }
                return Ok(());
            }
            let message = line.trim();
            match message {
                "" => continue,
                "/exit" | "/quit" => return Ok(()),
                "/reset" => {
                    self.reset();
                    writeln!(out, "{}", paint.dim("(a new conversation)")).map_err(stdout_error)?;
                    continue;
                }
                _ => {}
            }
            match self.send(message, out).await {
                Ok(_) => {}
                Err(Error::Run(failure)) => {
                    writeln!(out, "{}", paint.red(&format!("! {failure}")))
                        .map_err(stdout_error)?;
                }
                Err(e) => return Err(e),
            }
            out.flush().map_err(stdout_error)?;
        }
    }
}

fn stdout_error(source: std::io::Error) -> Error {
    Error::Write {
        path: "standard output".into(),
        source,
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering.

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
    fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }
    fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
}

/// Turns the events of one run into lines. Events of a sub-agent are indented two spaces per
/// level of delegation; text streams onto a line prefixed with its agent's name.
#[derive(Debug)]
struct Renderer {
    paint: Paint,
    /// The agent run whose text line is open (written without its newline yet), and the
    /// indentation of that line's continuation lines.
    open: Option<(RunKey, String)>,
    /// Runs that streamed text since their last message.
    streamed: HashSet<RunKey>,
    /// Delegation depth of each agent run.
    depth_of_run: HashMap<String, usize>,
    /// Depth of the agent that made each `send_message` call.
    depth_of_call: HashMap<String, usize>,
    /// Calls waiting for their output (shown with it).
    calls: HashMap<String, FunctionCall>,
    /// The last message of the sub-run a `send_message` call started, by call id.
    answers: HashMap<String, String>,
}

/// An agent run, and the agent in it (a handoff changes the agent of a run).
type RunKey = (String, String);

fn key(meta: &Meta) -> RunKey {
    (meta.agent_run_id.clone(), meta.agent.clone())
}

impl Renderer {
    fn new(colour: bool) -> Renderer {
        Renderer {
            paint: Paint(colour),
            open: None,
            streamed: HashSet::new(),
            depth_of_run: HashMap::new(),
            depth_of_call: HashMap::new(),
            calls: HashMap::new(),
            answers: HashMap::new(),
        }
    }

    /// How deep in delegations `meta`'s run is: 0 for the agent the user talks to.
    fn depth(&mut self, meta: &Meta) -> usize {
        if let Some(depth) = self.depth_of_run.get(&meta.agent_run_id) {
            return *depth;
        }
        let depth = match &meta.parent_run_id {
            Some(call) => self.depth_of_call.get(call).map_or(1, |d| d + 1),
            None => usize::from(meta.caller_agent.is_some()),
        };
        self.depth_of_run.insert(meta.agent_run_id.clone(), depth);
        depth
    }

    fn indent(&mut self, meta: &Meta) -> String {
        "  ".repeat(self.depth(meta))
    }

    /// Ends the open text line, if any.
    fn close_line(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if self.open.take().is_some() {
            writeln!(out)?;
        }
        Ok(())
    }

    /// Writes a whole line (or several, continuation lines aligned under the first's text):
    /// `indent`, then `head`, then `text`; `paint` colours the head, or everything when `whole`.
    fn line(
        &mut self,
        out: &mut impl Write,
        indent: &str,
        head: &str,
        text: &str,
        paint: fn(Paint, &str) -> String,
        whole: bool,
    ) -> std::io::Result<()> {
        self.close_line(out)?;
        let continuation = format!("\n{indent}{}", " ".repeat(head.chars().count()));
        let body = text.trim_end().replace('\n', &continuation);
        if whole {
            writeln!(
                out,
                "{indent}{}",
                paint(self.paint, &format!("{head}{body}"))
            )
        } else {
            writeln!(out, "{indent}{}{body}", paint(self.paint, head))
        }
    }

    fn event(&mut self, event: &RunEvent, out: &mut impl Write) -> std::io::Result<()> {
        match event {
            RunEvent::Model {
                meta,
                event: ModelEvent::TextDelta(delta),
            } => self.delta(meta, &delta.delta, out)?,
            RunEvent::Model { .. } | RunEvent::AgentUpdated { .. } => return Ok(()),
            RunEvent::MessageOutput { meta, message } => {
                let text = message.text();
                if let Some(call) = &meta.parent_run_id {
                    self.answers.insert(call.clone(), text.clone());
                }
                if self.streamed.remove(&key(meta)) {
                    if self.open.as_ref().is_some_and(|(k, _)| *k == key(meta)) {
                        self.close_line(out)?;
                    }
                } else if !text.trim().is_empty() {
                    let indent = self.indent(meta);
                    let head = format!("{}: ", meta.agent);
                    self.line(out, &indent, &head, &text, Paint::bold, false)?;
                }
            }
            RunEvent::ToolCalled { meta, call } => {
                if call.name == crate::run::SEND_MESSAGE {
                    let depth = self.depth(meta);
                    self.depth_of_call.insert(call.call_id.clone(), depth);
                    let args = call.parsed_arguments().unwrap_or(Value::Null);
                    let recipient = args["recipient_agent"].as_str().unwrap_or("?");
                    let message = args["message"].as_str().unwrap_or_default();
                    let indent = self.indent(meta);
                    let head = format!("→ {} asks {recipient}: ", meta.agent);
                    self.line(out, &indent, &head, message, Paint::cyan, false)?;
                }
                self.calls.insert(call.call_id.clone(), call.clone());
            }
            RunEvent::ToolOutput { meta, item, output } => {
                let Some(call) = self.calls.remove(&item.call_id) else {
                    return Ok(());
                };
                if call.name == crate::run::SEND_MESSAGE {
                    // The sub-agent's answer was shown as it came, unless it failed or answered
                    // with something else than its last message (structured output).
                    let answer = match output {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    if self.answers.get(&call.call_id) != Some(&answer) {
                        let recipient =
                            call.parsed_arguments().unwrap_or(Value::Null)["recipient_agent"]
                                .as_str()
                                .unwrap_or("?")
                                .to_owned();
                        let indent = format!("{}  ", self.indent(meta));
                        let head = format!("{recipient}: ");
                        self.line(out, &indent, &head, &answer, Paint::bold, false)?;
                    }
                } else {
                    let args = match call.parsed_arguments() {
                        Ok(args) => args.to_string(),
                        Err(_) => call.arguments.replace('\n', " "),
                    };
                    let text = format!(
                        "{}({}) = {}",
                        call.name,
                        shorten(&args),
                        shorten(&output.to_string())
                    );
                    let indent = self.indent(meta);
                    self.line(out, &indent, "· ", &text, Paint::dim, true)?;
                }
            }
            RunEvent::HandoffRequested { .. } => return Ok(()),
            RunEvent::HandoffOccurred { meta, target, .. } => {
                let indent = self.indent(meta);
                let text = format!("⇒ {} hands off to {target}", meta.agent);
                self.line(out, &indent, "", &text, Paint::cyan, true)?;
            }
            // The failure itself is reported by whoever called the turn.
            RunEvent::Error { .. } => self.close_line(out)?,
            _ => return Ok(()),
        }
        out.flush()
    }

    /// A piece of an agent's text: onto its open line, or a new line with its name.
    fn delta(&mut self, meta: &Meta, text: &str, out: &mut impl Write) -> std::io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let run = key(meta);
        if self.open.as_ref().is_none_or(|(k, _)| *k != run) {
            self.close_line(out)?;
            let indent = self.indent(meta);
            let head = format!("{}: ", meta.agent);
            write!(out, "{indent}{}", self.paint.bold(&head))?;
            let continuation = format!("\n{indent}{}", " ".repeat(head.chars().count()));
            self.open = Some((run.clone(), continuation));
            self.streamed.insert(run);
        }
        let continuation = self.open.as_ref().map(|(_, c)| c.as_str()).unwrap_or("\n");
        write!(out, "{}", text.replace('\n', continuation))
    }

    /// The end of a successful turn: the open line closed, and what the turn cost.
    fn end(&mut self, output: &RunOutput, out: &mut impl Write) -> std::io::Result<()> {
        self.close_line(out)?;
        if output.cancelled {
            writeln!(out, "{}", self.paint.red("(cancelled)"))?;
        }
        let u = &output.usage;
        let calls = if u.request_count == 1 {
            "call"
        } else {
            "calls"
        };
        let line = format!(
            "({} model {calls}, {} tokens, ${:.6})",
            u.request_count, u.total_tokens, u.total_cost
        );
        writeln!(out, "{}", self.paint.dim(&line))?;
        out.flush()
    }
}

/// `text`, cut to [`SHOWN_CHARS`] characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Standard input.

/// Standard input as an [`AsyncBufRead`], read line by line on a thread of its own.
///
/// Tokio's own `stdin()` reads on the runtime's blocking pool, and a read in progress there
/// cannot be cancelled: the runtime would wait for the user's next Enter before the program can
/// exit. A plain thread does not hold the runtime up.
pub(super) struct StdinLines {
    lines: mpsc::Receiver<std::io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
}

impl StdinLines {
    /// Starts the reading thread.
    pub(super) fn spawn() -> StdinLines {
        let (tx, lines) = mpsc::channel(4);
        std::thread::spawn(move || {
            use std::io::BufRead;
            let stdin = std::io::stdin();
            let mut stdin = stdin.lock();
            loop {
                let mut line = Vec::new();
                match stdin.read_until(b'\n', &mut line) {
                    Ok(0) => return,
                    Ok(_) => {
                        if tx.blocking_send(Ok(line)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        StdinLines {
            lines,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl AsyncRead for StdinLines {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let available = match self.as_mut().poll_fill_buf(cx) {
            Poll::Ready(Ok(available)) => available,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let n = available.len().min(buf.remaining());
        buf.put_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for StdinLines {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.pos >= this.buf.len() {
            match this.lines.poll_recv(cx) {
                Poll::Ready(Some(Ok(line))) => {
                    this.buf = line;
                    this.pos = 0;
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) => return Poll::Ready(Ok(&[])),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(&this.buf[this.pos..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.buf.len());
    }
}
