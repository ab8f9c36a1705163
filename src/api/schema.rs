//! JSON Schema checks of a queue's payloads (`--schema QUEUE=FILE`): compiled once at start,
//! applied before anything is stored, answered with 422 naming each failing field.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;

use super::error::{ApiError, FieldError};
use crate::error::{Error, Result};
use crate::job::QueueName;

/// At most this many failing fields are listed in one answer.
const MAX_DETAILS: usize = 10;

/// A compiled schema for one queue.
#[derive(Clone)]
pub struct PayloadSchema {
    validator: Arc<jsonschema::Validator>,
    /// Where it came from, for messages and logs.
    pub source: String,
}

impl std::fmt::Debug for PayloadSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadSchema")
            .field("source", &self.source)
            .finish()
    }
}

impl PayloadSchema {
    /// Compiles a schema document (the draft comes from its `$schema`, else 2020-12).
    pub fn from_value(schema: &serde_json::Value, source: impl Into<String>) -> Result<Self> {
        let source = source.into();
        let validator = jsonschema::validator_for(schema)
            .map_err(|e| Error::invalid(format!("invalid JSON Schema in {source}: {e}")))?;
        Ok(PayloadSchema {
            validator: Arc::new(validator),
            source,
        })
    }

    /// Reads and compiles a schema file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let text = std::fs::read(path)
            .map_err(|e| Error::invalid(format!("cannot read schema file {shown}: {e}")))?;
        let value: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| Error::invalid(format!("schema file {shown} is not JSON: {e}")))?;
        Self::from_value(&value, shown)
    }

    /// The failing fields of a payload; empty when it matches.
    pub fn violations(&self, payload: &serde_json::Value) -> Vec<FieldError> {
        self.validator
            .iter_errors(payload)
            .take(MAX_DETAILS)
            .map(|e| FieldError {
                path: e.instance_path().as_str().to_string(),
                message: e.to_string(),
            })
            .collect()
    }
}

/// The schemas by queue.
#[derive(Clone, Debug, Default)]
pub struct Schemas(HashMap<QueueName, PayloadSchema>);

impl Schemas {
    pub fn insert(&mut self, queue: QueueName, schema: PayloadSchema) {
        self.0.insert(queue, schema);
    }

    pub fn get(&self, queue: &QueueName) -> Option<&PayloadSchema> {
        self.0.get(queue)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses `QUEUE=FILE` specs (the `--schema` flag) and compiles every file.
    pub fn from_specs(specs: &[String]) -> Result<Self> {
        let mut out = Schemas::default();
        for spec in specs {
            let (queue, file) = spec.split_once('=').ok_or_else(|| {
                Error::invalid(format!("invalid --schema {spec:?}: expected QUEUE=FILE"))
            })?;
            let queue = QueueName::new(queue)?;
            if out.0.contains_key(&queue) {
                return Err(Error::invalid(format!(
                    "--schema names queue {queue} twice"
                )));
            }
            out.insert(queue, PayloadSchema::from_file(Path::new(file))?);
        }
        Ok(out)
    }

    /// Checks one JSON payload of `queue`; `label` prefixes messages (e.g. "job 3: ").
    pub fn check(
        &self,
        queue: &QueueName,
        payload: &serde_json::Value,
        label: &str,
    ) -> std::result::Result<(), ApiError> {
        let Some(schema) = self.get(queue) else {
            return Ok(());
        };
        let details = schema.violations(payload);
        if details.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = details
            .iter()
            .map(|d| {
                let at = if d.path.is_empty() { "(root)" } else { &d.path };
                format!("{at}: {}", d.message)
            })
            .collect();
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "schema_violation",
            format!(
                "{label}payload does not match the schema of queue {queue}: {}",
                listed.join("; ")
            ),
        );
        err.details = details;
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Schemas {
        let mut s = Schemas::default();
        let schema = json!({
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string"}, "n": {"type": "integer", "minimum": 1}}
        });
        s.insert(
            QueueName::new("predict").unwrap(),
            PayloadSchema::from_value(&schema, "test").unwrap(),
        );
        s
    }

    #[test]
    fn violations_name_the_failing_field() {
        let s = schemas();
        let q = QueueName::new("predict").unwrap();
        assert!(s.check(&q, &json!({"text": "hi", "n": 2}), "").is_ok());
        let err = s.check(&q, &json!({"text": 5}), "").unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.details[0].path, "/text");
        assert!(err.message.contains("/text"), "{}", err.message);
        let err = s.check(&q, &json!({"n": 0}), "job 2: ").unwrap_err();
        assert!(err.message.starts_with("job 2: "), "{}", err.message);
        assert!(err.message.contains("\"text\""), "{}", err.message);
        assert!(err.message.contains("/n"), "{}", err.message);
        // other queues are not checked
        let other = QueueName::new("other").unwrap();
        assert!(s.check(&other, &json!(5), "").is_ok());
    }

    #[test]
    fn bad_schema_specs_are_refused() {
        assert!(Schemas::from_specs(&["nofile".into()]).is_err());
        assert!(Schemas::from_specs(&["q=/does/not/exist.json".into()]).is_err());
        assert!(PayloadSchema::from_value(&json!({"type": 5}), "x").is_err());
    }
}
