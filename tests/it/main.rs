//! Integration tests of agency-rs, in one binary to keep link time down.

mod agency;
mod agent_macros;
mod agents;
mod agui;
mod chat_servers;
mod cli;
mod command_line;
mod fake_openai;
mod files;
mod fleet;
mod health;
mod http_agency;
mod http_schemas;
mod http_threads;
mod http_tools;
mod items;
mod macros;
mod observe;
mod request_logs;
mod safety;
mod schema;
mod state_routes;
mod support;
mod task_service;
mod thread_store;
mod validate;
