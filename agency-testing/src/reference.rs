//! The responder of the reference recordings (`shared/spec/reference/INDEX.md`).

use serde_json::Value;

use crate::function_call::FunctionCall;
use crate::lorem::lorem_chunks;
use crate::recorded::{RecordedRequest, content_text};
use crate::reply::Reply;

/// Words answered when the message does not say `words=K`.
const DEFAULT_WORDS: usize = 20;

/// What the fake model of the reference transcripts answered to `request`:
///
/// - when the conversation ends with tool outputs: `Tool X returned: <output>`
///   (one line per trailing output), streamed as `"Tool "`, `X`, `" returned: "`, `<output>`;
/// - else, when the last user message contains `call tool X with {json}` (any
///   number of times): a call of `X` with that JSON, compact, in one delta;
/// - else `lorem(20)`, one word per delta, or `lorem(K)` when the message contains `words=K`;
/// - and, when the last user message contains `pause_ms=N`, a pause of `N` milliseconds between
///   two events of the stream (a slow run, for tests that cancel one).
///
/// Usage is estimated as the recorder did, so `input_tokens`/`output_tokens`
/// match the transcripts (e.g. 13/20 for `Hello`).
pub fn reference_reply(request: &RecordedRequest) -> Reply {
    let items = request.input_items();
    let outputs = trailing_tool_outputs(&items);
    if !outputs.is_empty() {
        let mut chunks = Vec::new();
        for (index, (name, output)) in outputs.into_iter().enumerate() {
            if index > 0 {
                chunks.push("\n".to_owned());
            }
            chunks.extend(["Tool ".to_owned(), name, " returned: ".to_owned(), output]);
        }
        return Reply::text_chunks(chunks);
    }
    let text = request.last_user_text().unwrap_or_default();
    let calls = call_directives(&text);
    let reply = if calls.is_empty() {
        Reply::text_chunks(lorem_chunks(
            number_directive(&text, "words=").unwrap_or(DEFAULT_WORDS),
        ))
    } else {
        Reply::function_calls(calls.into_iter().map(|call| call.chunk_size(usize::MAX)))
    };
    match number_directive(&text, "pause_ms=") {
        Some(ms) => reply.chunk_delay(std::time::Duration::from_millis(ms as u64)),
        None => reply,
    }
}

/// `(tool name, output)` of the tool outputs at the end of the conversation, in order.
fn trailing_tool_outputs(items: &[Value]) -> Vec<(String, String)> {
    let trailing = items
        .iter()
        .rev()
        .take_while(|item| call_id_of_output(item).is_some())
        .count();
    items[items.len() - trailing..]
        .iter()
        .filter_map(|item| {
            let call_id = call_id_of_output(item)?;
            let output = item.get("output").or_else(|| item.get("content"));
            let output = match output {
                Some(Value::String(text)) => text.clone(),
                Some(other) => content_text(other),
                None => String::new(),
            };
            Some((tool_name_for(items, call_id), output))
        })
        .collect()
}

/// The call id a tool output answers: a Responses `function_call_output` or a Chat `tool` message.
fn call_id_of_output(item: &Value) -> Option<&str> {
    let field = |name: &str| item.get(name).and_then(Value::as_str);
    if field("type") == Some("function_call_output") {
        field("call_id")
    } else if field("role") == Some("tool") {
        field("tool_call_id")
    } else {
        None
    }
}

/// The name of the function called with `call_id`, looked up in the conversation.
fn tool_name_for(items: &[Value], call_id: &str) -> String {
    let responses_call = items.iter().find(|item| {
        item.get("type").and_then(Value::as_str) == Some("function_call")
            && item.get("call_id").and_then(Value::as_str) == Some(call_id)
    });
    let name = responses_call
        .and_then(|call| call.get("name"))
        .or_else(|| {
            items
                .iter()
                .filter_map(|item| item.get("tool_calls")?.as_array())
                .flatten()
                .find(|call| call.get("id").and_then(Value::as_str) == Some(call_id))
                .and_then(|call| call.get("function")?.get("name"))
        });
    name.and_then(Value::as_str).unwrap_or("unknown").to_owned()
}

/// Every `call tool NAME with JSON` in `text` (case-insensitive keywords).
fn call_directives(text: &str) -> Vec<FunctionCall> {
    const KEYWORD: &str = "call tool ";
    let lower = text.to_ascii_lowercase();
    let mut calls = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find(KEYWORD) {
        let start = from + found + KEYWORD.len();
        from = start;
        let rest = text[start..].trim_start();
        let name: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        let after_name = rest[name.len()..].trim_start();
        let Some(json) = after_name
            .strip_prefix("with")
            .or_else(|| after_name.strip_prefix("WITH"))
            .map(str::trim_start)
        else {
            continue;
        };
        let mut values = serde_json::Deserializer::from_str(json).into_iter::<Value>();
        if let (false, Some(Ok(arguments))) = (name.is_empty(), values.next()) {
            calls.push(FunctionCall::new(name, arguments));
        }
    }
    calls
}

/// `K` of the first `{key}K` in `text` (`words=K`, `pause_ms=K`).
fn number_directive(text: &str, key: &str) -> Option<usize> {
    let rest = &text[text.find(key)? + key.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn responses(input: Value) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/v1/responses".into(),
            query: None,
            headers: BTreeMap::new(),
            body: json!({"model": "gpt-4o", "input": input}),
        }
    }

    #[test]
    fn hello_is_twenty_lorem_words() {
        let reply = reference_reply(&responses(json!([{"role": "user", "content": "Hello"}])));
        assert_eq!(reply.text_content(), crate::lorem(20));
    }

    #[test]
    fn words_directive_changes_the_count() {
        let reply = reference_reply(&responses(
            json!([{"role": "user", "content": "Hello words=3"}]),
        ));
        assert_eq!(reply.text_content(), "Lorem ipsum dolor");
        assert_eq!(number_directive("words=x", "words="), None);
    }

    #[test]
    fn pause_directive_slows_the_stream() {
        let reply = reference_reply(&responses(
            json!([{"role": "user", "content": "Hello words=3 pause_ms=250"}]),
        ));
        assert_eq!(reply.text_content(), "Lorem ipsum dolor");
        assert_eq!(
            reply.chunk_delay,
            Some(std::time::Duration::from_millis(250))
        );
        let fast = reference_reply(&responses(json!([{"role": "user", "content": "Hello"}])));
        assert_eq!(fast.chunk_delay, None);
    }

    #[test]
    fn call_directive_makes_a_compact_call() {
        let text = r#"Please call tool add with {"a": 2, "b": 40}"#;
        let reply = reference_reply(&responses(json!([{"role": "user", "content": text}])));
        let calls = reply.calls();
        assert_eq!(
            (calls[0].name(), calls[0].arguments()),
            ("add", r#"{"a":2,"b":40}"#)
        );
        assert_eq!(calls[0].argument_chunks().len(), 1);
    }

    #[test]
    fn several_directives_make_parallel_calls() {
        let calls =
            call_directives(r#"call tool a with {"x":1} and Call Tool b with {"y": 2} trailing"#);
        let names: Vec<_> = calls.iter().map(FunctionCall::name).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(call_directives("call tool a with {broken").is_empty());
    }

    #[test]
    fn tool_output_is_reported() {
        let reply = reference_reply(&responses(json!([
            {"role": "user", "content": "Please call tool add with {\"a\": 2, \"b\": 40}", "type": "message"},
            {"type": "function_call", "call_id": "call_5", "name": "add", "arguments": "{\"a\":2,\"b\":40}"},
            {"type": "function_call_output", "call_id": "call_5", "output": "42"},
        ])));
        assert_eq!(reply.text_content(), "Tool add returned: 42");
        assert_eq!(reply.estimated_output_tokens(), 4);
    }

    #[test]
    fn chat_tool_message_is_reported() {
        let mut req = responses(Value::Null);
        req.path = "/v1/chat/completions".into();
        req.body = json!({"messages": [
            {"role": "user", "content": "call tool add with {\"a\": 1}"},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "1"},
        ]});
        assert_eq!(reference_reply(&req).text_content(), "Tool add returned: 1");
    }
}
