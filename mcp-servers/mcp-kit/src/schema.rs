//! Portable tool schemas.
//!
//! schemars writes JSON Schema 2020-12 with `$defs` + `$ref` for nested types, `type: [T,
//! "null"]` or `anyOf: [.., {type: null}]` for `Option<T>`, and `format`s such as `uint32`.
//! Gemini CLI, Copilot CLI and Zed reject `$ref`/`$defs`; Gemini rejects nullable type arrays
//! and unknown formats. [`portable`] rewrites a schema into the subset they all take; an
//! optional field stays optional because it is simply not `required`.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::JsonObject;
use serde_json::{Map, Value};
use std::sync::Arc;

/// `format`s kept: the JSON Schema ones clients understand. Others (`uint32`, `double`, ...)
/// are schemars' Rust hints and are dropped.
const KEPT_FORMATS: &[&str] = &["date-time", "date", "time", "email", "uri", "uuid"];

/// Keys whose values are data, not subschemas.
const DATA_KEYS: &[&str] = &["enum", "const", "default", "examples", "required"];

/// Rewrites `schema` so every major MCP client accepts it: every `$ref` inlined (a recursive
/// reference becomes a plain object), `$defs`/`definitions`/`$schema` dropped, nullable types
/// made plain, non-standard `format`s and `default: null` dropped, and an object at the root.
pub fn portable(schema: &JsonObject) -> JsonObject {
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut stack = Vec::new();
    let out = inline(Value::Object(schema.clone()), &defs, &mut stack);
    let mut root = match out {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if root.get("type").and_then(Value::as_str) != Some("object") {
        root.insert("type".into(), Value::String("object".into()));
    }
    if !root.contains_key("properties") {
        root.insert("properties".into(), Value::Object(Map::new()));
    }
    root
}

/// Applies [`portable`] to the input and output schema of every tool of a router.
pub fn portable_router<S>(mut router: ToolRouter<S>) -> ToolRouter<S> {
    for route in router.map.values_mut() {
        route.attr.input_schema = Arc::new(portable(&route.attr.input_schema));
        if let Some(out) = &route.attr.output_schema {
            route.attr.output_schema = Some(Arc::new(portable(out)));
        }
    }
    router
}

fn inline(value: Value, defs: &Map<String, Value>, stack: &mut Vec<String>) -> Value {
    match value {
        // `true` (any value, schemars' schema for serde_json::Value) as an empty schema object.
        Value::Bool(true) => Value::Object(Map::new()),
        Value::Object(m) => Value::Object(inline_object(m, defs, stack)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| inline(v, defs, stack)).collect()),
        other => other,
    }
}

fn inline_object(mut m: Map<String, Value>, defs: &Map<String, Value>, stack: &mut Vec<String>) -> Map<String, Value> {
    m.remove("$schema");
    m.remove("$defs");
    m.remove("definitions");
    // Nullable properties become plain ones; they must then be optional (absent, not null).
    let nullable: Vec<String> = match m.get("properties") {
        Some(Value::Object(props)) => props
            .iter()
            .filter(|(_, s)| is_nullable(s, defs))
            .map(|(name, _)| name.clone())
            .collect(),
        _ => Vec::new(),
    };
    let mut out = Map::new();
    if let Some(Value::String(reference)) = m.remove("$ref") {
        let name = reference
            .strip_prefix("#/$defs/")
            .or_else(|| reference.strip_prefix("#/definitions/"))
            .unwrap_or(&reference)
            .to_string();
        match defs.get(&name) {
            Some(def) if !stack.contains(&name) => {
                stack.push(name);
                if let Value::Object(d) = inline(def.clone(), defs, stack) {
                    out = d;
                }
                stack.pop();
            }
            // A recursive (or dangling) reference: an object of any shape.
            _ => {
                out.insert("type".into(), Value::String("object".into()));
            }
        }
    }
    // Sibling keywords (a field's description, ...) win over the referenced definition's.
    for (k, v) in m {
        let v = if DATA_KEYS.contains(&k.as_str()) || (k == "additionalProperties" && v.is_boolean()) {
            v
        } else if k == "items" && is_nullable(&v, defs) {
            // An array element cannot be "absent": keep null allowed, as anyOf.
            let inner = inline(v, defs, stack);
            serde_json::json!({"anyOf": [inner, {"type": "null"}]})
        } else if k == "properties" || k == "patternProperties" {
            match v {
                Value::Object(props) => Value::Object(
                    props
                        .into_iter()
                        .map(|(name, s)| (name, inline(s, defs, stack)))
                        .collect(),
                ),
                other => other,
            }
        } else {
            inline(v, defs, stack)
        };
        out.insert(k, v);
    }
    if !nullable.is_empty()
        && let Some(Value::Array(required)) = out.get_mut("required")
    {
        required.retain(|r| !r.as_str().is_some_and(|r| nullable.iter().any(|n| n == r)));
    }
    normalise(out)
}

/// Whether a (raw) schema admits `null`.
fn is_nullable(schema: &Value, defs: &Map<String, Value>) -> bool {
    let Value::Object(m) = schema else { return false };
    if let Some(Value::Array(types)) = m.get("type")
        && types.iter().any(|t| t.as_str() == Some("null"))
    {
        return true;
    }
    if ["anyOf", "oneOf"]
        .iter()
        .any(|k| matches!(m.get(*k), Some(Value::Array(b)) if b.iter().any(is_null_schema)))
    {
        return true;
    }
    if let Some(Value::Array(values)) = m.get("enum")
        && values.iter().any(Value::is_null)
    {
        return true;
    }
    match m.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or(r);
            // One level is enough for schemars' output; deeper chains are not nullable.
            defs.get(name).is_some_and(|d| {
                d.get("type")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.iter().any(|t| t.as_str() == Some("null")))
            })
        }
        None => false,
    }
}

/// `value` as JSON without `null` members ([`strip_nulls`]): what a tool or agent sends.
pub fn portable_value<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    let mut json = serde_json::to_value(value)?;
    strip_nulls(&mut json);
    Ok(json)
}

/// Removes `null` members from every object in `value`, so output validates against a
/// [`portable`] schema (where a nullable field became an optional one).
pub fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Nullable types to plain ones, exotic formats and null defaults dropped.
fn normalise(mut m: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(types)) = m.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
        let new = if kept.len() == 1 {
            kept[0].clone()
        } else {
            Value::Array(kept)
        };
        m.insert("type".into(), new);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = m.get(key) {
            let kept: Vec<Value> = branches.iter().filter(|b| !is_null_schema(b)).cloned().collect();
            if kept.len() != branches.len() {
                m.remove(key);
                if kept.len() == 1 {
                    if let Value::Object(branch) = &kept[0] {
                        for (k, v) in branch {
                            m.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                } else if !kept.is_empty() {
                    m.insert(key.into(), Value::Array(kept));
                }
            }
        }
    }
    if let Some(Value::Array(values)) = m.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if m.get("const").is_some_and(Value::is_null) {
        m.remove("const");
    }
    if m.get("default").is_some_and(Value::is_null) {
        m.remove("default");
    }
    if let Some(Value::String(f)) = m.get("format")
        && !KEPT_FORMATS.contains(&f.as_str())
    {
        m.remove("format");
    }
    m
}

fn is_null_schema(v: &Value) -> bool {
    match v {
        Value::Object(b) => {
            b.get("type").and_then(Value::as_str) == Some("null") || b.get("const").is_some_and(Value::is_null)
        }
        _ => false,
    }
}

/// Replaces the subschema at `pointer` (a JSON Pointer into the output schema) of one tool:
/// for a server that knows more than its skill's types say, such as the shape of GeoJSON
/// coordinates held in a `serde_json::Value`. Returns whether the pointer existed.
pub fn patch_output_schema<S>(router: &mut ToolRouter<S>, tool: &str, pointer: &str, schema: Value) -> bool {
    let Some(route) = router.map.get_mut(tool) else {
        return false;
    };
    let Some(out) = &route.attr.output_schema else {
        return false;
    };
    let mut root = Value::Object((**out).clone());
    let Some(slot) = root.pointer_mut(pointer) else {
        return false;
    };
    *slot = schema;
    if let Value::Object(m) = root {
        route.attr.output_schema = Some(Arc::new(m));
    }
    true
}

/// Where a schema is not portable, one line per finding (empty when it is). Used by tests.
pub fn portability_findings(schema: &JsonObject) -> Vec<String> {
    let mut findings = Vec::new();
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        findings.push("root is not `type: object`".to_string());
    }
    walk_findings(&Value::Object(schema.clone()), "#", &mut findings);
    findings
}

fn walk_findings(v: &Value, path: &str, findings: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for key in ["$ref", "$defs", "definitions", "$schema"] {
                if m.contains_key(key) {
                    findings.push(format!("{path}: has {key}"));
                }
            }
            if let Some(Value::Array(types)) = m.get("type")
                && types.iter().any(|t| t.as_str() == Some("null"))
            {
                findings.push(format!("{path}: nullable type array"));
            }
            if let Some(Value::String(f)) = m.get("format")
                && !KEPT_FORMATS.contains(&f.as_str())
            {
                findings.push(format!("{path}: format {f}"));
            }
            for (k, child) in m {
                if !DATA_KEYS.contains(&k.as_str()) {
                    walk_findings(child, &format!("{path}/{k}"), findings);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk_findings(child, &format!("{path}/{i}"), findings);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn inlines_refs_and_drops_nullables() {
        let input = obj(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "limit": {"type": ["integer", "null"], "format": "uint32", "minimum": 0, "description": "page"},
                "at": {"type": ["string", "null"], "format": "date-time"},
                "site": {"anyOf": [{"$ref": "#/$defs/Site"}, {"type": "null"}], "description": "where"},
                "kind": {"$ref": "#/$defs/Kind"}
            },
            "required": ["kind"],
            "$defs": {
                "Site": {"type": "object", "properties": {"name": {"type": "string"}, "child": {"$ref": "#/$defs/Site"}}},
                "Kind": {"type": "string", "enum": ["a", "b"], "description": "kind"}
            }
        }));
        let out = portable(&input);
        assert!(
            portability_findings(&out).is_empty(),
            "{:?}",
            portability_findings(&out)
        );
        assert_eq!(
            out["properties"]["limit"],
            json!({"type": "integer", "minimum": 0, "description": "page"})
        );
        assert_eq!(
            out["properties"]["at"],
            json!({"type": "string", "format": "date-time"})
        );
        assert_eq!(out["properties"]["site"]["description"], json!("where"));
        assert_eq!(
            out["properties"]["site"]["properties"]["child"],
            json!({"type": "object"})
        );
        assert_eq!(out["properties"]["kind"]["enum"], json!(["a", "b"]));
        assert_eq!(out["required"], json!(["kind"]));
    }

    #[test]
    fn nullable_fields_become_optional() {
        let input = obj(json!({
            "type": "object",
            "properties": {"notes": {"type": ["string", "null"]}, "id": {"type": "string"}},
            "required": ["id", "notes"]
        }));
        let out = portable(&input);
        assert_eq!(out["required"], json!(["id"]));
        let mut v = json!({"id": "A", "notes": null, "inner": [{"x": null}]});
        strip_nulls(&mut v);
        assert_eq!(v, json!({"id": "A", "inner": [{}]}));
    }

    #[test]
    fn nullable_array_items_stay_nullable() {
        let input = obj(json!({
            "type": "object",
            "properties": {"history": {"type": "array", "items": {"type": ["integer", "null"], "format": "uint8"}}}
        }));
        let out = portable(&input);
        assert_eq!(
            out["properties"]["history"]["items"],
            json!({"anyOf": [{"type": "integer"}, {"type": "null"}]})
        );
        assert!(crate::validate::validate(&Value::Object(out.clone()), &json!({"history": [1, null, 0]})).is_empty());
        assert_eq!(portable(&out), out, "portable is idempotent");
    }

    #[test]
    fn root_is_always_an_object() {
        let out = portable(&obj(json!({"properties": {}})));
        assert_eq!(out["type"], json!("object"));
    }
}
