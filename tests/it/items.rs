//! Typed conversation items and model events: every reference item reads into its typed
//! variant and writes back unchanged; kinds and fields the types do not model survive.

use agency::item::{Content, Entry, FunctionCall, Item, Message, Meta, Part, Role};
use agency::model::ModelEvent;
use serde_json::{Value, json};

/// The `new_messages` of reference case 21 (a tool call), as the original server sent them.
const REFERENCE_21: &str = r#"[{"content":"Please call tool add with {\"a\": 2, \"b\": 40}","role":"user","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_05f1bf85b0324fd1b87319af53983b04","run_trace_id":"trace_e9a68a01562b4ebf96c54caefba1e86b","history_protocol":"responses","timestamp":1795315891689267,"type":"message"},{"arguments":"{\"a\":2,\"b\":40}","call_id":"call_000000000000000000000005","name":"add","type":"function_call","id":"fc_000000000000000000000004","status":"completed","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_05f1bf85b0324fd1b87319af53983b04","run_trace_id":"trace_e9a68a01562b4ebf96c54caefba1e86b","history_protocol":"responses","timestamp":1795315891705197},{"call_id":"call_000000000000000000000005","output":"42","type":"function_call_output","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_05f1bf85b0324fd1b87319af53983b04","run_trace_id":"trace_e9a68a01562b4ebf96c54caefba1e86b","history_protocol":"responses","timestamp":1795315891705217},{"id":"msg_000000000000000000000007","content":[{"annotations":[],"text":"Tool add returned: 42","type":"output_text","logprobs":[]}],"role":"assistant","status":"completed","type":"message","agent":"Assistant","callerAgent":null,"agent_run_id":"agent_run_05f1bf85b0324fd1b87319af53983b04","run_trace_id":"trace_e9a68a01562b4ebf96c54caefba1e86b","history_protocol":"responses","timestamp":1795315891705245}]"#;

fn without(mut value: Value, keys: &[&str]) -> Value {
    if let Value::Object(map) = &mut value {
        for key in keys {
            map.shift_remove(*key);
        }
    }
    value
}

#[test]
fn reference_items_read_typed_and_write_back_unchanged() {
    let wire: Vec<Value> = serde_json::from_str(REFERENCE_21).unwrap();
    let entries: Vec<Entry> = serde_json::from_str(REFERENCE_21).unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e.item.kind()).collect();
    assert_eq!(
        kinds,
        [
            "message",
            "function_call",
            "function_call_output",
            "message"
        ]
    );
    assert!(
        matches!(&entries[0].item, Item::Message(m) if m.role == Role::User && m.text().starts_with("Please call"))
    );
    let Item::FunctionCall(call) = &entries[1].item else {
        panic!("a call: {:?}", entries[1]);
    };
    assert_eq!(call.name, "add");
    assert_eq!(call.parsed_arguments().unwrap(), json!({"a": 2, "b": 40}));
    assert_eq!(entries[2].item.call_id(), Some(call.call_id.as_str()));
    assert_eq!(
        entries[3].item.assistant_text().as_deref(),
        Some("Tool add returned: 42")
    );
    for entry in &entries {
        assert_eq!(entry.meta.agent, "Assistant");
        assert_eq!(entry.meta.caller_agent, None);
        assert_eq!(
            entry.meta.agent_run_id,
            "agent_run_05f1bf85b0324fd1b87319af53983b04"
        );
        assert!(entry.meta.timestamp > 1_795_315_891_000_000);
    }
    // Written back: the same JSON, less Agency Swarm's own bookkeeping keys.
    for (entry, original) in entries.iter().zip(wire) {
        let expected = without(original, &["run_trace_id", "history_protocol"]);
        assert_eq!(serde_json::to_value(entry).unwrap(), expected);
    }
}

#[test]
fn kinds_and_fields_it_does_not_model_survive_a_round_trip() {
    let cases = [
        // A kind it does not model.
        json!({"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"query": "rust"}}),
        // A modelled kind with fields it does not model, at every level.
        json!({"type": "message", "role": "assistant", "id": "msg_1", "status": "completed", "phase": "final",
               "content": [{"type": "output_text", "text": "Hi", "annotations": [{"type": "url_citation", "url": "https://x"}], "logprobs": []},
                           {"type": "refusal", "refusal": "no"}]}),
        json!({"type": "function_call", "call_id": "c1", "name": "add", "arguments": "{}", "namespace": null}),
        json!({"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Thinking."}], "encrypted_content": "abc"}),
        // A modelled kind in a shape it does not model: kept as it came.
        json!({"type": "message", "role": "tool", "content": 42}),
        json!({"role": "user", "content": [{"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
                                           {"type": "input_file", "file_id": "file-1"}, {"type": "input_text", "text": "What is this?"}]}),
    ];
    for case in cases {
        let item: Item = serde_json::from_value(case.clone()).unwrap();
        let mut expected = case.clone();
        expected
            .as_object_mut()
            .unwrap()
            .entry("type")
            .or_insert(json!("message"));
        assert_eq!(serde_json::to_value(&item).unwrap(), expected, "{item:?}");
    }
    let refusal: Item = serde_json::from_value(json!({"type": "message", "role": "assistant",
        "content": [{"type": "refusal", "refusal": "no"}]}))
    .unwrap();
    let Item::Message(Message {
        content: Content::Parts(parts),
        ..
    }) = &refusal
    else {
        panic!("a message: {refusal:?}");
    };
    assert!(matches!(&parts[0], Part::Other(map) if map["refusal"] == "no"));
    let tool_role: Item = serde_json::from_value(json!({"role": "tool", "content": "1"})).unwrap();
    assert!(matches!(tool_role, Item::Other(_)));
    assert!(tool_role.is_chat_completions_form());
}

#[test]
fn metadata_is_written_only_when_known_and_stays_off_the_item() {
    let entry = Entry::new(
        FunctionCall::new("call_1", "add", "{}"),
        Meta {
            agent: "Developer".into(),
            caller_agent: Some("CEO".into()),
            agent_run_id: "agent_run_2".into(),
            parent_run_id: Some("call_0".into()),
            timestamp: 7,
        },
    );
    let wire = serde_json::to_value(&entry).unwrap();
    assert_eq!(wire["callerAgent"], "CEO");
    assert_eq!(wire["parent_run_id"], "call_0");
    assert_eq!(serde_json::from_value::<Entry>(wire).unwrap(), entry);
    // A client's item without metadata reads with empty metadata and writes back as it came
    // (plus its type and a null callerAgent: the user's thread).
    let bare: Entry = serde_json::from_value(json!({"role": "user", "content": "hi"})).unwrap();
    assert_eq!(bare.meta, Meta::default());
    assert_eq!(
        serde_json::to_value(&bare).unwrap(),
        json!({"role": "user", "content": "hi", "type": "message", "callerAgent": null})
    );
}

#[test]
fn model_events_read_typed_and_write_back_unchanged() {
    let events = [
        json!({"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1", "object": "response", "model": "gpt-4o", "status": "in_progress", "output": [], "usage": null}}),
        json!({"type": "response.output_item.added", "output_index": 0, "sequence_number": 1,
               "item": {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}}),
        json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "Hi", "logprobs": [], "sequence_number": 2}),
        json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 1, "delta": "{\"a\"", "sequence_number": 3}),
        json!({"type": "response.output_item.done", "output_index": 0, "sequence_number": 4,
               "item": {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}}),
        json!({"type": "response.completed", "sequence_number": 5, "response": {"id": "resp_1", "model": "gpt-4o", "status": "completed",
               "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4, "input_tokens_details": {"cached_tokens": 1}, "output_tokens_details": {"reasoning_tokens": 0}}}}),
        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "delta": "Hm", "sequence_number": 6}),
    ];
    let typed: Vec<ModelEvent> = events
        .iter()
        .map(|e| ModelEvent::from_json(&e.to_string()).unwrap())
        .collect();
    assert!(matches!(&typed[0], ModelEvent::Created(c) if c.response.id == "resp_1"));
    assert!(matches!(&typed[1], ModelEvent::ItemAdded(_)));
    assert!(matches!(&typed[2], ModelEvent::TextDelta(d) if d.delta == "Hi"));
    assert!(matches!(&typed[3], ModelEvent::ArgumentsDelta(d) if d.item_id == "fc_1"));
    assert!(
        matches!(&typed[4], ModelEvent::ItemDone(d) if d.item.assistant_text().as_deref() == Some("Hi"))
    );
    let ModelEvent::Completed(done) = &typed[5] else {
        panic!("completed: {:?}", typed[5]);
    };
    let usage = done.response.usage.as_ref().unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (3, 1));
    assert!(matches!(&typed[6], ModelEvent::Other(_)));
    for (event, original) in typed.iter().zip(&events) {
        let back = serde_json::to_value(event).unwrap();
        let Value::Object(back) = back else { panic!() };
        let Value::Object(original) = original else {
            panic!()
        };
        // Key order may differ; content may not.
        assert_eq!(back.len(), original.len(), "{back:?}");
        for (k, v) in original {
            assert_eq!(back.get(k), Some(v), "{k} of {original:?}");
        }
    }
    // `type` need not come first.
    let late = ModelEvent::from_json(
        r#"{"item_id": "m", "delta": "x", "type": "response.output_text.delta"}"#,
    )
    .unwrap();
    assert!(matches!(&late, ModelEvent::TextDelta(d) if d.delta == "x"));
    let escaped = ModelEvent::from_json(
        r#"{"type": "response.output_text.delt\u0061", "item_id": "m", "delta": "y"}"#,
    )
    .unwrap();
    assert!(matches!(&escaped, ModelEvent::TextDelta(d) if d.delta == "y"));
    let failed = ModelEvent::from_json(
        &json!({"type": "response.failed", "response": {"error": {"code": "server_error", "message": "boom"}}}).to_string(),
    )
    .unwrap();
    assert_eq!(
        failed,
        ModelEvent::Failed {
            message: "boom".into()
        }
    );
    let incomplete: ModelEvent = serde_json::from_value(
        json!({"type": "response.incomplete", "response": {"id": "r", "status": "incomplete"}}),
    )
    .unwrap();
    assert_eq!(incomplete.kind(), "response.incomplete");
}
