// Drives one AG-UI conversation against agency-rs with the protocol's official client,
// @ag-ui/client's HttpAgent, whose own event verification must accept every stream.
//
//   node drive.mjs <url> <out-prefix> '<scenario JSON>'
//
// The scenario: {"message": "...", "state": {...}?, "tools": [...]?, "toolResult": "..."?,
// "expectError": true?}. With `toolResult`, the first run must end with a call of one of the
// client's tools; the script answers it with a tool message and runs the agent again (the
// frontend-tool round trip). Each run's raw SSE body is written to <out-prefix>-<n>.sse, for
// ag-ui-validate. Exit status 0 when every run ended as expected; otherwise the reason is
// printed on stderr.
import { writeFileSync } from "node:fs";
import { HttpAgent } from "@ag-ui/client";

const [url, out, json] = process.argv.slice(2);
const scenario = JSON.parse(json);
let runs = 0;
const captures = [];

// A fetch that keeps a copy of each response body, exactly as the server sent it.
async function recordingFetch(input, init) {
  const response = await fetch(input, init);
  const [mine, theirs] = response.body.tee();
  const n = ++runs;
  captures.push(
    new Response(mine).text().then((text) => writeFileSync(`${out}-${n}.sse`, text)),
  );
  return new Response(theirs, { status: response.status, headers: response.headers });
}

const agent = new HttpAgent({
  url,
  fetch: recordingFetch,
  threadId: "thread-1",
  initialMessages: [{ id: "user-1", role: "user", content: scenario.message }],
  initialState: scenario.state ?? {},
});

const seen = [];
const subscriber = { onEvent: ({ event }) => { seen.push(event.type); } };

async function run(parameters) {
  try {
    await agent.runAgent(parameters, subscriber);
    return null;
  } catch (error) {
    return error;
  }
}

function fail(why) {
  console.error(`${out}: ${why}\nevents: ${seen.join(" ")}`);
  process.exit(1);
}

const tools = scenario.tools ?? [];
let error = await run({ tools });
if (scenario.toolResult !== undefined) {
  if (error) fail(`the first run failed: ${error.message ?? error}`);
  const last = agent.messages[agent.messages.length - 1];
  const call = last?.role === "assistant" ? last.toolCalls?.[0] : undefined;
  if (!call || !tools.some((t) => t.name === call.function.name)) {
    fail(`the first run did not end with a call of a client tool: ${JSON.stringify(last)}`);
  }
  agent.addMessage({ id: "tool-1", role: "tool", toolCallId: call.id, content: scenario.toolResult });
  error = await run({ tools });
}
await Promise.all(captures);
if (scenario.expectError) {
  if (!seen.includes("RUN_ERROR")) fail("expected a RUN_ERROR");
  // The run's own failure is reported as such; a protocol violation would be an AGUIError.
  if (error && /Cannot send|AGUIError/.test(`${error.name} ${error.message}`)) {
    fail(`the client refused the stream: ${error.message}`);
  }
} else if (error) {
  fail(`the client failed: ${error.message ?? error}`);
} else if (seen[seen.length - 1] !== "RUN_FINISHED") {
  fail("the last event is not RUN_FINISHED");
}
if (scenario.state !== undefined) {
  writeFileSync(`${out}.state.json`, JSON.stringify(agent.state));
}
writeFileSync(`${out}.messages.json`, JSON.stringify(agent.messages));
