//! [`LogFileLayer`]: writes the events under a logged request's span to its file.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::LOG_FILE_FIELD;

/// A `tracing-subscriber` layer that appends every event under the `request` span of a logged
/// request (one that sent `x-agency-log-id` to a server with `enable_logging`) to that
/// request's file, one JSON object a line:
/// `{"message": ..., "details": {"timestamp", "level", "location", "target", <event fields>,
/// "spans": [{"name", <span fields>}, ...]}}`.
///
/// `agency::main()` installs it. A program that sets up its own subscriber adds it beside its
/// other layers; events its filters leave out are not written either.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let subscriber = tracing_subscriber::registry().with(agency_http::LogFileLayer::default());
/// # let _ = subscriber;
/// ```
///
/// Lines are written whole: one writer at a time, each line in one `write`.
#[derive(Debug, Clone, Default)]
pub struct LogFileLayer {
    writing: Arc<Mutex<()>>,
}

/// The file of a logged request, on its span and every span under it.
#[derive(Debug, Clone)]
struct LogFile(Arc<PathBuf>);

/// The fields of a span under a logged request.
#[derive(Debug, Default)]
struct SpanFields(Map<String, Value>);

/// One line of a request's log.
#[derive(Serialize)]
struct Line<'a> {
    message: &'a str,
    details: Map<String, Value>,
}

/// Reads fields into a JSON map, keeping their JSON types.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
}

/// Finds the log file field of a span.
struct FileVisitor(Option<PathBuf>);

impl Visit for FileVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == LOG_FILE_FIELD {
            self.0 = Some(PathBuf::from(value));
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == LOG_FILE_FIELD {
            self.0 = Some(PathBuf::from(format!("{value:?}")));
        }
    }
}

impl<S> tracing_subscriber::Layer<S> for LogFileLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let inherited = span
            .parent()
            .and_then(|p| p.extensions().get::<LogFile>().cloned());
        let file = inherited.or_else(|| {
            attrs.metadata().fields().field(LOG_FILE_FIELD)?;
            let mut visitor = FileVisitor(None);
            attrs.record(&mut visitor);
            visitor.0.map(|p| LogFile(Arc::new(p)))
        });
        let Some(file) = file else { return };
        let mut fields = SpanFields::default();
        attrs.record(&mut JsonVisitor(&mut fields.0));
        fields.0.remove(LOG_FILE_FIELD);
        let mut extensions = span.extensions_mut();
        extensions.insert(file);
        extensions.insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(fields) = extensions.get_mut::<SpanFields>() {
            values.record(&mut JsonVisitor(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(leaf) = ctx.event_span(event) else {
            return;
        };
        let Some(file) = leaf.extensions().get::<LogFile>().cloned() else {
            return;
        };
        let meta = event.metadata();
        let mut details = Map::new();
        details.insert(
            "timestamp".into(),
            humantime::format_rfc3339_micros(SystemTime::now())
                .to_string()
                .into(),
        );
        details.insert("level".into(), meta.level().as_str().into());
        let location = match (meta.file(), meta.line()) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.to_owned(),
            _ => meta.target().to_owned(),
        };
        details.insert("location".into(), location.into());
        details.insert("target".into(), meta.target().into());
        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));
        let message = match fields.remove("message") {
            Some(Value::String(text)) => text,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        details.extend(fields);
        let spans: Vec<Value> = leaf
            .scope()
            .from_root()
            .map(|span| {
                let mut entry = Map::new();
                entry.insert("name".into(), span.name().into());
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    entry.extend(fields.0.clone());
                }
                Value::Object(entry)
            })
            .collect();
        details.insert("spans".into(), Value::Array(spans));
        let line = Line {
            message: &message,
            details,
        };
        let Ok(mut bytes) = serde_json::to_vec(&line) else {
            return;
        };
        bytes.push(b'\n');
        self.append(&file.0, &bytes);
    }
}

impl LogFileLayer {
    /// Appends `line` to `path` in one write, creating the directory if need be. A failure is
    /// reported on standard error (the log system cannot log about itself).
    fn append(&self, path: &Path, line: &[u8]) {
        let _one_at_a_time = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let open = || {
            let mut options = OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                // A link planted in the logs directory is not followed.
                options.custom_flags(libc::O_NOFOLLOW);
            }
            options.open(path)
        };
        let file = match open() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => path
                .parent()
                .map_or(Err(e), std::fs::create_dir_all)
                .and_then(|()| open()),
            other => other,
        };
        if let Err(e) = file.and_then(|mut f| f.write_all(line)) {
            eprintln!("request log {}: cannot write: {e}", path.display());
        }
    }
}
