//! From an understood question to delegated calls, and from their results to one answer
//! with the numbers the agents gave, naming the agents and the events relied on.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::time::Window;
use crate::understand::{Intent, Place, Query, SpeciesName};

/// One delegated call.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The A2A skill id (= operation) to call.
    pub operation: String,
    /// Its arguments.
    pub arguments: Value,
    /// Which group of the answer it feeds (a species, a place, a window).
    pub group: usize,
}

/// A group of the answer: what one line is about.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Species, if one.
    pub species: Option<SpeciesName>,
    /// Place, if one.
    pub place: Option<Place>,
    /// Window, when groups compare periods (else the query's).
    pub window: Option<Window>,
}

/// The plan of one question.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The groups (two for a comparison).
    pub groups: Vec<Group>,
    /// The calls, run in parallel.
    pub steps: Vec<Step>,
}

/// Every operation the built-in router calls; an agent offering none of them is a
/// third-party agent, routed to by its card's tags.
pub const BUILT_IN_OPERATIONS: &[&str] = &[
    "find_events",
    "summarize_period",
    "list_cameras",
    "rai",
    "diel_activity",
    "activity_overlap",
    "occupancy_naive",
    "effort",
    "migration",
    "trails",
    "sightings",
];

/// The window of a group: its own when periods are compared, else the query's.
fn window_of<'a>(q: &'a Query, g: Option<&'a Group>) -> Option<&'a Window> {
    g.and_then(|g| g.window.as_ref()).or(q.window.as_ref())
}

fn window_args(w: Option<&Window>, args: &mut serde_json::Map<String, Value>) {
    if let Some(w) = w {
        args.insert("from".into(), json!(w.from.to_rfc3339()));
        args.insert("to".into(), json!(w.to.to_rfc3339()));
    }
}

/// A behaviour-analytics scope (snake_case, flattened) for a place.
fn scope_args(w: Option<&Window>, place: Option<&Place>, args: &mut serde_json::Map<String, Value>) {
    window_args(w, args);
    if let Some(p) = place {
        match &p.site {
            Some(site) => {
                args.insert("site".into(), json!(site));
            }
            None => {
                args.insert("cameras".into(), json!(p.cameras));
            }
        }
    }
}

fn groups_of(q: &Query) -> Vec<Group> {
    let place = q.places.first().cloned();
    if q.compare && q.compare_windows.len() == 2 {
        return q
            .compare_windows
            .iter()
            .map(|w| Group {
                species: q.species.first().cloned(),
                place: place.clone(),
                window: Some(w.clone()),
            })
            .collect();
    }
    if q.compare && q.places.len() >= 2 {
        let species = q.species.first().cloned();
        return q
            .places
            .iter()
            .take(4)
            .map(|p| Group {
                species: species.clone(),
                place: Some(p.clone()),
                window: None,
            })
            .collect();
    }
    if q.species.len() >= 2 {
        return q
            .species
            .iter()
            .take(4)
            .map(|s| Group {
                species: Some(s.clone()),
                place: place.clone(),
                window: None,
            })
            .collect();
    }
    vec![Group {
        species: q.species.first().cloned(),
        place,
        window: None,
    }]
}

/// The calls answering `q`. `Err` says what the question lacks.
pub fn plan(q: &Query) -> Result<Plan, String> {
    let groups = groups_of(q);
    let mut steps = Vec::new();
    let need_species = |what: &str| format!("Which species? Name one for {what}, e.g. \"{what} of elk\".");
    match q.intent {
        Intent::Events => {
            for (g, group) in groups.iter().enumerate() {
                let cameras: Vec<Option<String>> = match &group.place {
                    Some(p) if !p.cameras.is_empty() => p.cameras.iter().cloned().map(Some).collect(),
                    _ => vec![None],
                };
                for camera in cameras {
                    let mut args = serde_json::Map::new();
                    window_args(window_of(q, Some(group)), &mut args);
                    if let Some(s) = &group.species {
                        args.insert("species".into(), json!(s.scientific));
                    }
                    if let Some(c) = camera {
                        args.insert("camera".into(), json!(c));
                    }
                    if let Some(i) = &q.individual {
                        args.insert("individual".into(), json!(i));
                    }
                    args.insert("limit".into(), json!(50));
                    steps.push(Step {
                        operation: "find_events".into(),
                        arguments: Value::Object(args),
                        group: g,
                    });
                }
            }
        }
        Intent::Summary => {
            for (g, group) in groups.iter().enumerate() {
                let mut args = serde_json::Map::new();
                window_args(window_of(q, Some(group)), &mut args);
                if let Some(p) = &group.place {
                    match (&p.site, p.cameras.as_slice()) {
                        (Some(site), _) => {
                            args.insert("site".into(), json!(site));
                        }
                        (None, [one]) => {
                            args.insert("camera".into(), json!(one));
                        }
                        _ => {}
                    }
                }
                steps.push(Step {
                    operation: "summarize_period".into(),
                    arguments: Value::Object(args),
                    group: g,
                });
            }
        }
        Intent::Cameras => {
            let mut args = serde_json::Map::new();
            if let Some(h) = &q.health {
                args.insert("health".into(), json!(h));
            }
            if let Some(site) = q.places.first().and_then(|p| p.site.clone()) {
                args.insert("site".into(), json!(site));
            }
            args.insert("limit".into(), json!(500));
            steps.push(Step {
                operation: "list_cameras".into(),
                arguments: Value::Object(args),
                group: 0,
            });
        }
        Intent::Rai => {
            for (g, group) in groups.iter().enumerate() {
                let mut args = serde_json::Map::new();
                scope_args(window_of(q, Some(group)), group.place.as_ref(), &mut args);
                if let Some(s) = &group.species {
                    args.insert("species".into(), json!([s.scientific]));
                }
                args.insert("limit".into(), json!(500));
                steps.push(Step {
                    operation: "rai".into(),
                    arguments: Value::Object(args),
                    group: g,
                });
            }
        }
        Intent::Diel | Intent::Occupancy | Intent::Migration => {
            let op = match q.intent {
                Intent::Diel => "diel_activity",
                Intent::Occupancy => "occupancy_naive",
                _ => "migration",
            };
            for (g, group) in groups.iter().enumerate() {
                let Some(s) = &group.species else {
                    return Err(need_species(match q.intent {
                        Intent::Diel => "activity times",
                        Intent::Occupancy => "occupancy",
                        _ => "migration",
                    }));
                };
                let mut args = serde_json::Map::new();
                scope_args(window_of(q, Some(group)), group.place.as_ref(), &mut args);
                args.insert("species".into(), json!(s.scientific));
                steps.push(Step {
                    operation: op.into(),
                    arguments: Value::Object(args),
                    group: g,
                });
            }
        }
        Intent::Overlap => {
            let (Some(a), Some(b)) = (q.species.first(), q.species.get(1)) else {
                return Err("Overlap needs two species, e.g. \"overlap between coyote and mule deer\".".into());
            };
            let mut args = serde_json::Map::new();
            scope_args(q.window.as_ref(), q.places.first(), &mut args);
            args.insert("species_a".into(), json!(a.scientific));
            args.insert("species_b".into(), json!(b.scientific));
            steps.push(Step {
                operation: "activity_overlap".into(),
                arguments: Value::Object(args),
                group: 0,
            });
            return Ok(Plan {
                groups: vec![Group {
                    species: Some(a.clone()),
                    place: q.places.first().cloned(),
                    window: None,
                }],
                steps,
            });
        }
        Intent::Effort => {
            for (g, group) in groups.iter().enumerate() {
                let mut args = serde_json::Map::new();
                scope_args(window_of(q, Some(group)), group.place.as_ref(), &mut args);
                args.insert("limit".into(), json!(500));
                steps.push(Step {
                    operation: "effort".into(),
                    arguments: Value::Object(args),
                    group: g,
                });
            }
        }
        Intent::Trails => {
            let mut args = serde_json::Map::new();
            window_args(q.window.as_ref(), &mut args);
            if let Some(i) = &q.individual {
                args.insert("individual".into(), json!(i));
            } else if let Some(s) = q.species.first() {
                args.insert("species".into(), json!(s.scientific));
            }
            args.insert("limit".into(), json!(50));
            steps.push(Step {
                operation: "trails".into(),
                arguments: Value::Object(args),
                group: 0,
            });
        }
        Intent::Sightings => {
            for (g, group) in groups.iter().enumerate() {
                let Some(s) = &group.species else {
                    return Err(need_species("sightings"));
                };
                let mut args = serde_json::Map::new();
                window_args(q.window.as_ref(), &mut args);
                args.insert("species".into(), json!(s.scientific));
                steps.push(Step {
                    operation: "sightings".into(),
                    arguments: Value::Object(args),
                    group: g,
                });
            }
        }
    }
    Ok(Plan { groups, steps })
}

/// What one step gave.
#[derive(Debug, Clone)]
pub struct StepOutput<'a> {
    /// The step.
    pub step: &'a Step,
    /// Its JSON result, when it succeeded.
    pub data: Option<&'a Value>,
}

fn num(v: &Value, ptr: &str) -> f64 {
    v.pointer(ptr).and_then(Value::as_f64).unwrap_or(0.0)
}

fn species_label(s: Option<&SpeciesName>, plural: bool) -> String {
    match s {
        Some(s) if plural => {
            let c = &s.common;
            if c.ends_with("deer") || c.ends_with("elk") || c.ends_with("moose") {
                c.clone()
            } else if c.ends_with('x') {
                format!("{c}es")
            } else {
                format!("{c}s")
            }
        }
        Some(s) => s.common.clone(),
        None if plural => "animals".into(),
        None => "animal".into(),
    }
}

fn group_label(q: &Query, g: &Group) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &g.place {
        parts.push(p.label.clone());
    }
    if let Some(w) = window_of(q, Some(g)) {
        parts.push(w.label.clone());
    }
    parts.join(" ")
}

fn hour(h: f64) -> String {
    let total = (h * 60.0).round() as i64;
    format!("{:02}:{:02}", (total / 60).rem_euclid(24), total % 60)
}

/// The sentences of an answer, and the event ids it relied on.
pub fn compose(q: &Query, plan: &Plan, outputs: &[StepOutput<'_>]) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut relied: Vec<String> = Vec::new();
    let of_group = |g: usize| outputs.iter().filter(move |o| o.step.group == g);
    let complete = |g: usize| of_group(g).all(|o| o.data.is_some());
    match q.intent {
        Intent::Events => {
            let mut totals = Vec::new();
            for (g, group) in plan.groups.iter().enumerate() {
                let mut total = 0u64;
                let mut behaviours: BTreeMap<String, u64> = BTreeMap::new();
                let mut ids = Vec::new();
                let mut count_max = 0i64;
                for o in of_group(g) {
                    let Some(d) = o.data else { continue };
                    total += d.pointer("/page/total").and_then(Value::as_u64).unwrap_or(0);
                    for e in d.get("events").and_then(Value::as_array).into_iter().flatten() {
                        if let Some(id) = e.get("id").and_then(Value::as_str) {
                            ids.push(id.to_string());
                        }
                        count_max = count_max.max(e.get("count").and_then(Value::as_i64).unwrap_or(0));
                        for b in e.get("behaviours").and_then(Value::as_array).into_iter().flatten() {
                            if let Some(b) = b.as_str() {
                                *behaviours.entry(b.to_string()).or_default() += 1;
                            }
                        }
                    }
                }
                let what = match &q.individual {
                    Some(i) => format!("event(s) of {i}"),
                    None => format!("{} event(s)", species_label(group.species.as_ref(), false)),
                };
                let partial = if complete(g) {
                    ""
                } else {
                    " (partial: some cameras could not be asked)"
                };
                let mut line = format!("{total} {what} {}{partial}.", group_label(q, group))
                    .replace("  ", " ")
                    .replace(" .", ".");
                if !behaviours.is_empty() {
                    let mut b: Vec<_> = behaviours.into_iter().collect();
                    b.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    let shown = b.iter().take(4).map(|(k, n)| format!("{k} ({n})")).collect::<Vec<_>>();
                    let sample = if total as usize > ids.len() {
                        format!(" in the {} newest", ids.len())
                    } else {
                        String::new()
                    };
                    line.push_str(&format!(" Behaviours{sample}: {}.", shown.join(", ")));
                }
                if count_max > 1 {
                    line.push_str(&format!(" Largest group: {count_max}."));
                }
                lines.push(line);
                totals.push((group, total));
                relied.extend(ids);
            }
            if totals.len() == 2 {
                let ((a, na), (b, nb)) = (&totals[0], &totals[1]);
                let name = |g: &Group| match (&g.species, &g.place) {
                    (Some(s), _) if plan.groups.iter().filter(|o| o.species == g.species).count() == 1 => {
                        s.common.clone()
                    }
                    (_, Some(p)) => p.label.clone(),
                    _ => "the first".into(),
                };
                let verdict = match na.cmp(nb) {
                    std::cmp::Ordering::Greater => format!("{} had {} more than {}.", name(a), na - nb, name(b)),
                    std::cmp::Ordering::Less => format!("{} had {} more than {}.", name(b), nb - na, name(a)),
                    std::cmp::Ordering::Equal => "Both had the same number.".into(),
                };
                lines.push(verdict);
            }
        }
        Intent::Summary => {
            for (g, group) in plan.groups.iter().enumerate() {
                for o in of_group(g) {
                    let Some(d) = o.data else { continue };
                    let label = group_label(q, group);
                    let mut line = format!(
                        "Summary{}: {} animal events, {} with people, {} with vehicles.",
                        if label.is_empty() {
                            String::new()
                        } else {
                            format!(" {label}")
                        },
                        num(d, "/animalEvents"),
                        num(d, "/humanEvents"),
                        num(d, "/vehicleEvents")
                    );
                    let species: Vec<String> = d
                        .get("species")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .take(5)
                        .map(|s| {
                            format!(
                                "{} {}",
                                s.get("commonName")
                                    .or(s.get("scientificName"))
                                    .and_then(Value::as_str)
                                    .unwrap_or("?"),
                                s.get("events").and_then(Value::as_u64).unwrap_or(0)
                            )
                        })
                        .collect();
                    if !species.is_empty() {
                        line.push_str(&format!(" Most seen: {}.", species.join(", ")));
                    }
                    let hours: Vec<String> = d
                        .get("busiestHours")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|h| h.get("hour").and_then(Value::as_u64))
                        .map(|h| format!("{h:02}:00"))
                        .collect();
                    if !hours.is_empty() {
                        line.push_str(&format!(" Busiest hours: {}.", hours.join(", ")));
                    }
                    for n in d.get("notable").and_then(Value::as_array).into_iter().flatten().take(5) {
                        if let Some(id) = n.get("eventId").and_then(Value::as_str) {
                            relied.push(id.to_string());
                        }
                    }
                    lines.push(line);
                }
            }
        }
        Intent::Cameras => {
            for o in outputs {
                let Some(d) = o.data else { continue };
                let cams = d.get("cameras").and_then(Value::as_array).cloned().unwrap_or_default();
                let total = d
                    .pointer("/page/total")
                    .and_then(Value::as_u64)
                    .unwrap_or(cams.len() as u64);
                let which = match &q.health {
                    Some(h) => format!("{total} camera(s) {h}"),
                    None => format!("{total} camera(s)"),
                };
                let list: Vec<String> = cams
                    .iter()
                    .take(20)
                    .map(|c| {
                        format!(
                            "{} ({}, {})",
                            c.get("id").and_then(Value::as_str).unwrap_or("?"),
                            c.get("name").and_then(Value::as_str).unwrap_or("?"),
                            c.get("health").and_then(Value::as_str).unwrap_or("?")
                        )
                    })
                    .collect();
                let mut line = format!(
                    "{which}{}",
                    if list.is_empty() {
                        ".".to_string()
                    } else {
                        format!(": {}.", list.join("; "))
                    }
                );
                if let Some(note) = d.get("note").and_then(Value::as_str) {
                    line.push_str(&format!(" ({note})"));
                }
                lines.push(line);
            }
        }
        Intent::Rai => {
            for o in outputs {
                let Some(d) = o.data else { continue };
                let trap = num(d, "/total_trap_nights");
                for s in d
                    .get("species")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .take(10)
                {
                    lines.push(format!(
                        "{}: RAI {:.2} detections per 100 trap-nights ({} independent detections of {} events over {:.1} trap-nights, {} camera(s)).",
                        s.get("common_name").or(s.get("species")).and_then(Value::as_str).unwrap_or("?"),
                        num(s, "/rai"),
                        num(s, "/independent"),
                        num(s, "/events"),
                        trap,
                        num(s, "/cameras_detected")
                    ));
                }
            }
        }
        Intent::Diel => {
            for (g, group) in plan.groups.iter().enumerate() {
                for o in of_group(g) {
                    let Some(d) = o.data else { continue };
                    let peaks: Vec<String> = d
                        .get("peak_hours")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_f64)
                        .map(hour)
                        .collect();
                    lines.push(format!(
                        "{} are {} ({} events): activity peaks at {}; shares day {:.0}%, twilight {:.0}%, night {:.0}%.",
                        species_label(group.species.as_ref(), true),
                        d.get("activity_class").and_then(Value::as_str).unwrap_or("?"),
                        num(d, "/n"),
                        if peaks.is_empty() { "no clear peak".into() } else { peaks.join(" and ") },
                        100.0 * num(d, "/shares/day"),
                        100.0 * num(d, "/shares/twilight"),
                        100.0 * num(d, "/shares/night"),
                    ));
                }
            }
        }
        Intent::Overlap => {
            for o in outputs {
                let Some(d) = o.data else { continue };
                let ci = match (
                    d.pointer("/ci/lower").and_then(Value::as_f64),
                    d.pointer("/ci/upper").and_then(Value::as_f64),
                ) {
                    (Some(l), Some(u)) => format!(" (95% CI {l:.2}-{u:.2})"),
                    _ => String::new(),
                };
                lines.push(format!(
                    "Activity overlap of {} ({} events) and {} ({} events): {} = {:.2}{ci}.",
                    q.species.first().map(|s| s.common.as_str()).unwrap_or("?"),
                    num(d, "/n_a"),
                    q.species.get(1).map(|s| s.common.as_str()).unwrap_or("?"),
                    num(d, "/n_b"),
                    d.get("estimator").and_then(Value::as_str).unwrap_or("Dhat"),
                    num(d, "/delta"),
                ));
            }
        }
        Intent::Occupancy => {
            for (g, group) in plan.groups.iter().enumerate() {
                for o in of_group(g) {
                    let Some(d) = o.data else { continue };
                    lines.push(format!(
                        "{} were detected at {} of {} operating cameras (naive occupancy {:.2}).",
                        species_label(group.species.as_ref(), true),
                        num(d, "/stations_detected"),
                        num(d, "/operating_stations"),
                        num(d, "/naive_occupancy")
                    ));
                }
            }
        }
        Intent::Effort => {
            for o in outputs {
                let Some(d) = o.data else { continue };
                lines.push(format!(
                    "Sampling effort: {:.1} trap-nights over {} camera(s).",
                    num(d, "/total_trap_nights"),
                    d.get("cameras").and_then(Value::as_array).map(Vec::len).unwrap_or(0)
                ));
            }
        }
        Intent::Migration => {
            for (g, group) in plan.groups.iter().enumerate() {
                for o in of_group(g) {
                    let Some(d) = o.data else { continue };
                    let speed = d
                        .get("speed_km_per_day")
                        .and_then(Value::as_f64)
                        .map(|s| format!(", moving about {s:.2} km per day"))
                        .unwrap_or_default();
                    lines.push(format!(
                        "{}: the wave heads {:.0} degrees{speed} (slope {:.2} days per km along the axis).",
                        species_label(group.species.as_ref(), true),
                        num(d, "/direction_deg"),
                        num(d, "/slope_days_per_km")
                    ));
                }
            }
        }
        Intent::Trails => {
            for o in outputs {
                let Some(d) = o.data else { continue };
                let trails = d.get("trails").and_then(Value::as_array).cloned().unwrap_or_default();
                let who = q
                    .individual
                    .clone()
                    .or_else(|| q.species.first().map(|s| s.common.clone()))
                    .unwrap_or_else(|| "animals".into());
                let total = d
                    .pointer("/page/total")
                    .and_then(Value::as_u64)
                    .unwrap_or(trails.len() as u64);
                let mut line = format!(
                    "{total} trail(s) of {who}{}.",
                    q.window.as_ref().map(|w| format!(" {}", w.label)).unwrap_or_default()
                );
                if let Some(t) = trails.first() {
                    let stops: Vec<&str> = t
                        .get("steps")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|s| s.get("cameraId").and_then(Value::as_str))
                        .collect();
                    line.push_str(&format!(
                        " The first runs {} ({:.1} km).",
                        stops.join(" -> "),
                        num(t, "/lengthKm")
                    ));
                    for s in t.get("steps").and_then(Value::as_array).into_iter().flatten() {
                        for id in s
                            .get("eventIds")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .take(3)
                        {
                            if let Some(id) = id.as_str() {
                                relied.push(id.to_string());
                            }
                        }
                    }
                }
                lines.push(line);
            }
        }
        Intent::Sightings => {
            for (g, group) in plan.groups.iter().enumerate() {
                for o in of_group(g) {
                    let Some(d) = o.data else { continue };
                    let cams: Vec<String> = d
                        .get("cameras")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .take(20)
                        .map(|c| {
                            format!(
                                "{} ({})",
                                c.get("cameraId").and_then(Value::as_str).unwrap_or("?"),
                                c.get("events").and_then(Value::as_u64).unwrap_or(0)
                            )
                        })
                        .collect();
                    lines.push(format!(
                        "{} were seen at {} camera(s){}: {}.",
                        species_label(group.species.as_ref(), true),
                        cams.len(),
                        q.window.as_ref().map(|w| format!(" {}", w.label)).unwrap_or_default(),
                        cams.join(", ")
                    ));
                }
            }
        }
    }
    relied.dedup();
    (lines, relied)
}
