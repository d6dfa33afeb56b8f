"""Drives an agency served as an OpenAI model with the official `openai` Python client.

    python3 tests/openai/check.py BASE_URL TOKEN

BASE_URL is the server's `/v1` (http://127.0.0.1:PORT/v1). The model API behind the server is
the fake OpenAI server of agency-testing, answering with its reference transcripts: a message
`call tool add with {...}` makes the agency call its `add` tool, and the answer is then
`Tool add returned: <sum>`. Prints one JSON object per check; exits non-zero on the first
failure.
"""

import json
import sys

import openai

base_url, token = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base_url, api_key=token, max_retries=0, timeout=60)
ASK = 'call tool add with {"a": 2, "b": 40}'
EXPECTED = "Tool add returned: 42"


def report(check, **fields):
    print(json.dumps({"check": check, **fields}), flush=True)


def expect(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr, flush=True)
        sys.exit(1)


models = [m.id for m in client.models.list()]
expect("Demo" in models and "Demo/Assistant" in models, f"models: {models}")
report("models", models=models)

history = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi! How can I help?"},
    {"role": "user", "content": ASK},
]
completion = client.chat.completions.create(model="Demo", messages=history)
text = completion.choices[0].message.content
expect(text == EXPECTED, f"chat completion: {text!r}")
expect(completion.choices[0].finish_reason == "stop", "finish_reason")
expect(completion.usage.total_tokens > 0, f"usage: {completion.usage}")
report("chat", text=text, usage=completion.usage.model_dump())

stream = client.chat.completions.create(
    model="Demo/Assistant",
    messages=[{"role": "user", "content": ASK}],
    stream=True,
    stream_options={"include_usage": True},
)
deltas, finish, usage = [], None, None
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage
    for choice in chunk.choices:
        if choice.delta.content:
            deltas.append(choice.delta.content)
        finish = choice.finish_reason or finish
expect("".join(deltas) == EXPECTED, f"chat stream: {deltas!r}")
expect(finish == "stop", f"stream finish_reason: {finish}")
expect(usage is not None and usage.total_tokens > 0, f"stream usage: {usage}")
report("chat_stream", text="".join(deltas), chunks=len(deltas))

response = client.responses.create(model="Demo", input=ASK, instructions="Be brief.")
expect(response.output_text == EXPECTED, f"response: {response.output_text!r}")
expect(response.status == "completed", f"status: {response.status}")
expect(response.usage.total_tokens > 0, f"usage: {response.usage}")
report("responses", text=response.output_text)

events = list(
    client.responses.create(
        model="Demo",
        input=[{"role": "user", "content": [{"type": "input_text", "text": ASK}]}],
        stream=True,
    )
)
kinds = [e.type for e in events]
expect(kinds[0] == "response.created" and kinds[-1] == "response.completed", f"events: {kinds}")
text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
expect(text == EXPECTED, f"response stream: {text!r}")
expect(events[-1].response.output_text == EXPECTED, "the completed response's text")
expect([e.sequence_number for e in events] == list(range(len(events))), "sequence numbers")
report("responses_stream", events=kinds)

with client.responses.stream(model="Demo", input=ASK) as helper:
    final = helper.get_final_response()
expect(final.output_text == EXPECTED, f"responses.stream helper: {final.output_text!r}")
report("responses_stream_helper", text=final.output_text)

try:
    client.chat.completions.create(model="Nope", messages=[{"role": "user", "content": "hi"}])
    expect(False, "an unknown model was answered")
except openai.NotFoundError as e:
    expect(e.code == "model_not_found", f"code: {e.code}")
    report("unknown_model", status=e.status_code, code=e.code)

try:
    client.chat.completions.create(model="Demo", messages=[{"role": "assistant", "content": "hi"}])
    expect(False, "a conversation without a user turn was answered")
except openai.BadRequestError as e:
    expect(e.param == "messages", f"param: {e.param}")
    report("no_user_turn", status=e.status_code, param=e.param)

try:
    openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list()
    expect(False, "a wrong token was let in")
except openai.AuthenticationError as e:
    report("wrong_token", status=e.status_code)
