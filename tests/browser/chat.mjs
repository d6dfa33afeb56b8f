// Drives the built-in web chat (/chat) in Debian's chromium with playwright-core, against a
// server that tests/it/chat_ui.rs started on the fake model. Usage:
//
//     node tests/browser/chat.mjs MODE BASE_URL SCREENSHOT_DIR [TOKEN]
//
// MODE: `threads` (quickstart, server-side chats), `auth` (quickstart, APP_TOKEN=TOKEN, the
// browser keeps the history), `agui` (quickstart in AG-UI mode) or `agencies` (the agencies
// example: two agencies, a delegation) or `handoff` (the agencies example, replies queued by the
// test: a handoff). Exits 1 with the reason on the first failed
// check; each state it reaches is saved as SCREENSHOT_DIR/MODE-NN-name.png.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { chromium } from "playwright-core";

const [mode, base, screens, token] = process.argv.slice(2);
mkdirSync(screens, { recursive: true });
for (const file of readdirSync(screens)) if (file.startsWith(`${mode}-`)) rmSync(`${screens}/${file}`);
const WAIT = { timeout: 15000 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  timeout: 30000,
});
const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
// Every request the page makes: one for anywhere but the server under test is a failure.
const requests = [];
const outside = [];
await context.route("**/*", (route) => {
  const request = route.request();
  requests.push({ url: request.url(), method: request.method(), body: request.postData() || "" });
  if (new URL(request.url()).host !== new URL(base).host) {
    outside.push(request.url());
    return route.abort();
  }
  return route.continue();
});
const page = await context.newPage();
const problems = [];
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => { if (m.type() === "error" && !/401|Unauthorized/.test(m.text())) problems.push(`console: ${m.text()}`); });

let shot = 0;
async function screenshot(name) {
  shot += 1;
  await page.screenshot({ path: `${screens}/${mode}-${String(shot).padStart(2, "0")}-${name}.png`, fullPage: true });
}

/** Types `text` and sends it with Enter. */
async function say(text) {
  await page.locator("#send:not([disabled])").waitFor(WAIT);
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

/** Waits for the answer in progress to end; returns its turn. */
async function answered() {
  await page.locator("#stop").waitFor({ state: "hidden", ...WAIT });
  return page.locator(".turn").last();
}

const words = (text) => text.trim().split(/\s+/).filter(Boolean).length;

async function loads(path) {
  await page.goto(base + path);
  await page.locator("#graph g.agent").first().waitFor(WAIT);
}

async function streams() {
  await say("Hello words=12 pause_ms=150");
  const answer = page.locator(".turn").last().locator(".msg.assistant .body");
  await page.waitForFunction(() => {
    const body = document.querySelector(".turn:last-child .msg.assistant .body");
    return body && body.textContent.trim().length > 0;
  }, null, WAIT);
  assert.ok(await page.locator("#stop").isVisible(), "the Stop button shows while the answer streams");
  const partial = await answer.textContent();
  await screenshot("streaming");
  const turn = await answered();
  const full = await answer.textContent();
  assert.equal(words(full), 12, `the whole answer arrives: ${full}`);
  assert.ok(words(partial) < 12, `text showed before the answer was complete (${words(partial)} words)`);
  return turn;
}

async function toolStep() {
  await say('call tool add with {"a": 2, "b": 3}');
  const turn = await answered();
  const step = turn.locator('details.step[data-tool="add"]');
  await step.waitFor(WAIT);
  assert.match(await step.locator("summary").textContent(), /Assistant called add/);
  assert.equal((await step.locator(".step-output").textContent()).trim(), "5");
  await step.locator("summary").click();
  assert.match(await turn.locator(".msg.assistant .body").last().textContent(), /Tool add returned: 5/);
  await screenshot("tool-step");
}

try {
  if (mode === "threads") {
    await loads("/chat");
    assert.equal(await page.locator("#agency option").count(), 1);
    assert.equal(await page.inputValue("#recipient"), "Assistant");
    assert.ok(await page.locator("#chats-box").isVisible(), "server-side chats are listed");
    await screenshot("loaded");

    const turn = await streams();
    assert.match(await turn.locator(".usage").textContent(), /1 model call · \d+ in \+ \d+ out = \d+ tokens · \$\d+\.\d{6}/);
    await screenshot("answered");

    await toolStep();

    // Markdown: inline code, bold and a fenced code block render; HTML from the model is text.
    const street = "x **bold** `code` <img src=x onerror=\"window.pwned=1\">\n```rust\nfn main() {}\n```\n";
    await say(`call tool Address with ${JSON.stringify({ street, zip_code: 1 })}`);
    const md = (await answered()).locator(".msg.assistant .body").last();
    await md.locator("pre code.language-rust").waitFor(WAIT);
    assert.equal((await md.locator("pre code").textContent()).trim(), "fn main() {}");
    assert.equal(await md.locator("strong").textContent(), "bold");
    assert.equal(await md.locator("p code").first().textContent(), "code");
    assert.equal(await md.locator("img").count(), 0, "no element comes from the model's text");
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await screenshot("markdown");

    // Stop: the run ends as cancelled and no more text arrives.
    await say("words=400 pause_ms=80");
    const slow = page.locator(".turn").last().locator(".msg.assistant .body");
    await page.waitForFunction(() => (document.querySelector(".turn:last-child .msg.assistant .body")?.textContent || "").trim().split(/\s+/).length >= 3, null, WAIT);
    await page.click("#stop");
    const stopped = await answered();
    await stopped.locator(".usage.cancelled").waitFor(WAIT);
    const before = await slow.textContent();
    await page.waitForTimeout(800);
    assert.equal(await slow.textContent(), before, "no text arrives after the stop");
    assert.ok(words(before) < 400, `the run stopped early (${words(before)} words)`);
    const cancels = requests.filter((r) => r.url.endsWith("/demo/cancel_response_stream"));
    assert.equal(cancels.length, 1, "Stop asks the server to cancel the run");
    assert.match(cancels[0].body, /"run_id":"[^"]+"/);
    await screenshot("cancelled");

    // Reload: the conversation comes back from the server.
    await page.reload();
    await page.locator(".msg.user").nth(3).waitFor(WAIT);
    assert.equal(await page.locator(".msg.user").count(), 4);
    await page.locator('details.step[data-tool="add"] .step-output').waitFor({ state: "attached", ...WAIT });
    assert.match(await page.locator("#messages").textContent(), /Tool add returned: 5/);
    assert.equal(await page.locator("#chats li").count(), 1);
    assert.match(await page.locator("#chats li.current").textContent(), /Hello words=12/);
    await screenshot("reloaded");

    // A new conversation starts empty; the old one is still listed and opens again.
    await page.click("#new-chat");
    await page.waitForFunction(() => !document.querySelector(".msg"), null, WAIT);
    await page.click("#chats li");
    await page.locator(".msg.user").nth(3).waitFor(WAIT);
  } else if (mode === "auth") {
    await page.goto(base + "/chat");
    const dialog = page.locator("#token-dialog[open]");
    await dialog.waitFor(WAIT);
    await screenshot("asks-token");
    await page.fill("#token-input", "wrong-token");
    await page.click("#token-save");
    await page.locator("#token-error:not([hidden])").waitFor(WAIT);
    assert.ok(await dialog.isVisible(), "a wrong token is asked for again");
    await page.fill("#token-input", token);
    await page.click("#token-save");
    await page.locator("#graph g.agent").first().waitFor(WAIT);
    assert.ok(!(await dialog.isVisible()));
    assert.ok(await page.locator("#local-box").isVisible(), "without a store the browser keeps the chat");
    await say("Hi there words=5");
    const first = await answered();
    assert.equal(words(await first.locator(".msg.assistant .body").textContent()), 5);
    await say("Again words=3");
    await answered();
    const streamsSent = requests.filter((r) => r.url.endsWith("/demo/get_response_stream"));
    assert.equal(streamsSent.length, 2);
    const second = JSON.parse(streamsSent[1].body);
    assert.equal(second.chat_history[0].content, "Hi there words=5", "the kept history goes with the next message");
    assert.equal(second.chat_id, undefined);
    await screenshot("answered-with-token");

    // A file goes in the message as an input_file part.
    await page.setInputFiles("#attach", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("the notes\n") });
    assert.equal(await page.locator("#attachments").textContent(), "notes.txt");
    await say("Read it words=2");
    await answered();
    const withFile = JSON.parse(requests.filter((r) => r.url.endsWith("/demo/get_response_stream"))[2].body);
    const part = withFile.message[0].content[1];
    assert.equal(part.type, "input_file");
    assert.equal(part.filename, "notes.txt");
    assert.equal(part.file_data, `data:text/plain;base64,${Buffer.from("the notes\n").toString("base64")}`);
    assert.match(await page.locator(".msg.user").last().textContent(), /Attached: notes.txt/);
    await screenshot("attached");

    await page.reload();
    await page.locator(".msg.user").nth(2).waitFor(WAIT);
    assert.equal(await page.locator(".msg.assistant").count(), 3, "the reload shows the conversation");
    assert.match(await page.locator(".msg.user").last().textContent(), /Attached: notes.txt/);
    assert.ok(!(await page.locator("#token-dialog[open]").isVisible()), "the token is kept for the tab");
    assert.equal(await page.evaluate((t) => Object.values(localStorage).some((v) => v.includes(t)), token), false, "the token is not in local storage");
    await screenshot("reloaded");
    for (const r of requests) assert.ok(!r.url.includes(token), `the token is never in a URL: ${r.url}`);
    assert.ok(!page.url().includes(token));
  } else if (mode === "agui") {
    await loads("/chat/demo");
    await say("Hello words=6 pause_ms=50");
    const turn = await answered();
    assert.equal(words(await turn.locator(".msg.assistant .body").textContent()), 6);
    await toolStep();
    const sent = requests.filter((r) => r.url.endsWith("/demo/get_response_stream"));
    assert.equal(JSON.parse(sent[1].body).messages[0].content, "Hello words=6 pause_ms=50", "the conversation goes with the next message");
    await page.reload();
    await page.locator(".msg.user").nth(1).waitFor(WAIT);
    assert.match(await page.locator("#messages").textContent(), /Tool add returned: 5/);
    await screenshot("reloaded");
  } else if (mode === "agencies") {
    await loads("/chat");
    assert.deepEqual(await page.locator("#agency option").allTextContents(), ["Company", "Helpdesk"]);
    assert.equal(await page.locator("#graph g.agent").count(), 3);
    assert.equal(await page.locator("#graph line.edge.communication").count(), 2);
    // The CEO's conversation starter starts the chat.
    const starter = page.locator("#starters button");
    assert.equal(await starter.textContent(), "How many lines and words are in this text?");
    await screenshot("company");
    await say('call tool send_message with {"recipient_agent": "Developer", "message": "words=4"}');
    const turn = await answered();
    const step = turn.locator("details.step.delegation");
    await step.waitFor(WAIT);
    assert.match(await step.locator("summary").textContent(), /→ CEO asks Developer: words=4/);
    assert.equal(await step.locator(".inner .msg.assistant .agent-name").textContent(), "Developer", "the sub-agent's answer sits inside the step");
    assert.match(await turn.locator(":scope > .msg.assistant .agent-name").textContent(), /CEO/);
    await step.locator("summary").click();
    await screenshot("delegation");

    await page.selectOption("#agency", "Helpdesk");
    await page.waitForURL(/\/chat\/Helpdesk$/, WAIT);
    await page.locator("#graph g.agent").nth(2).waitFor(WAIT);
    assert.equal(await page.locator("#graph line.edge.handoff").count(), 2);
    await screenshot("helpdesk");
  } else if (mode === "handoff") {
    // The test queued the model's replies: Triage transfers, Billing answers.
    await loads("/chat/Helpdesk");
    await say("I want a refund for order 42");
    const handoff = (await answered()).locator("details.step.handoff");
    await handoff.waitFor(WAIT);
    assert.match(await handoff.locator("summary").textContent(), /⇒ Triage handed off to Billing/);
    const billing = page.locator(".turn").last().locator(".msg.assistant").last();
    assert.equal(await billing.locator(".agent-name").textContent(), "Billing");
    assert.match(await billing.locator(".body").textContent(), /your refund for order 42 is on its way/);
    await screenshot("handoff");
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  assert.deepEqual(outside, [], "no request leaves the server under test");
  assert.deepEqual(problems, [], "the page logs no error");
  console.log(`${mode}: ok (${requests.length} requests, all to ${new URL(base).host})`);
} catch (e) {
  await screenshot("failed").catch(() => {});
  console.error(`${mode}: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
