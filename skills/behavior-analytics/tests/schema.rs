//! Every field of every input and output carries a description (they become the tool
//! descriptions a language model reads), and inputs round-trip through JSON.

use schemars::schema_for;
use serde_json::Value;
use trailmesh_behavior_analytics::*;

fn undocumented(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, p) in props {
                    if p.get("description").and_then(Value::as_str).is_none_or(str::is_empty) {
                        out.push(format!("{path}.{name}"));
                    }
                }
            }
            for (k, child) in map {
                undocumented(child, &format!("{path}/{k}"), out);
            }
        }
        Value::Array(items) => items.iter().for_each(|c| undocumented(c, path, out)),
        _ => {}
    }
}

#[test]
fn every_field_is_described() {
    let schemas = [
        (
            "BehavioursInput",
            serde_json::to_value(schema_for!(BehavioursInput)).unwrap(),
        ),
        (
            "BehavioursOutput",
            serde_json::to_value(schema_for!(BehavioursOutput)).unwrap(),
        ),
        ("EffortInput", serde_json::to_value(schema_for!(EffortInput)).unwrap()),
        ("EffortOutput", serde_json::to_value(schema_for!(EffortOutput)).unwrap()),
        ("RaiInput", serde_json::to_value(schema_for!(RaiInput)).unwrap()),
        ("RaiOutput", serde_json::to_value(schema_for!(RaiOutput)).unwrap()),
        (
            "NaiveOccupancyInput",
            serde_json::to_value(schema_for!(NaiveOccupancyInput)).unwrap(),
        ),
        (
            "NaiveOccupancyOutput",
            serde_json::to_value(schema_for!(NaiveOccupancyOutput)).unwrap(),
        ),
        (
            "DetectionHistoryInput",
            serde_json::to_value(schema_for!(DetectionHistoryInput)).unwrap(),
        ),
        (
            "DetectionHistoryOutput",
            serde_json::to_value(schema_for!(DetectionHistoryOutput)).unwrap(),
        ),
        ("DielInput", serde_json::to_value(schema_for!(DielInput)).unwrap()),
        ("DielOutput", serde_json::to_value(schema_for!(DielOutput)).unwrap()),
        ("OverlapInput", serde_json::to_value(schema_for!(OverlapInput)).unwrap()),
        (
            "OverlapOutput",
            serde_json::to_value(schema_for!(OverlapOutput)).unwrap(),
        ),
        (
            "OccupancyInput",
            serde_json::to_value(schema_for!(OccupancyInput)).unwrap(),
        ),
        (
            "OccupancyOutput",
            serde_json::to_value(schema_for!(OccupancyOutput)).unwrap(),
        ),
        (
            "MigrationInput",
            serde_json::to_value(schema_for!(MigrationInput)).unwrap(),
        ),
        (
            "MigrationOutput",
            serde_json::to_value(schema_for!(MigrationOutput)).unwrap(),
        ),
    ];
    let mut missing = Vec::new();
    for (name, s) in &schemas {
        undocumented(s, name, &mut missing);
    }
    assert!(missing.is_empty(), "fields without a description: {missing:#?}");
    // The scope is flattened into each input: `from`, `to`, `cameras`, `site` are top-level.
    let rai = &schemas[4].1;
    for f in ["from", "to", "cameras", "site", "independence_min", "limit"] {
        assert!(rai["properties"].get(f).is_some(), "RaiInput lacks {f}: {rai}");
    }
}

#[test]
fn inputs_read_the_json_a_model_writes() {
    let v: DielInput = serde_json::from_str(
        r#"{"species": "elk", "from": "2026-06-01", "cameras": ["CREEK-01"], "time_scale": "solar"}"#,
    )
    .unwrap();
    assert_eq!(v.time_scale, Some(TimeScale::Solar));
    assert_eq!(v.scope.cameras.as_deref(), Some(&["CREEK-01".to_string()][..]));
    let v: RaiInput = serde_json::from_str("{}").unwrap();
    assert!(v.species.is_none() && v.scope.from.is_none());
}
