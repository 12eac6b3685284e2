//! Reports: a weekly site report and a species profile, as Markdown and as HTML with inline
//! SVG charts (diel activity, RAI by camera, events over time, a map of camera positions).
//! Every number comes from an agent; the report names them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{AgentUse, Orchestrator};

/// What to report on.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportRequest {
    /// `site` (weekly site report) or `species` (species profile).
    pub kind: String,
    /// The site (site reports).
    #[serde(default)]
    pub site: Option<String>,
    /// The species (profiles): common or scientific name.
    #[serde(default)]
    pub species: Option<String>,
    /// Start (ISO 8601); default: seven days before "now" (site reports), the whole study
    /// (species profiles).
    #[serde(default)]
    pub from: Option<String>,
    /// End (ISO 8601, exclusive); default "now" (site reports), the whole study (profiles).
    #[serde(default)]
    pub to: Option<String>,
}

/// A report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Title.
    pub title: String,
    /// Markdown (charts as inline SVG too; most Markdown viewers render it).
    pub markdown: String,
    /// A standalone HTML page.
    pub html: String,
    /// The agents asked.
    pub agents: Vec<AgentUse>,
}

/// Why no report.
#[derive(Debug, Clone)]
pub enum ReportError {
    /// The request is wrong.
    BadRequest(String),
    /// A needed agent failed.
    Agent(String),
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart.
pub fn bar_chart(title: &str, rows: &[(String, f64)], unit: &str) -> String {
    let h = 24 * rows.len().max(1) + 40;
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(1e-9);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="560" height="{h}" role="img" aria-label="{t}"><text x="4" y="16" font-size="14" font-family="sans-serif">{t}</text>"#,
        t = esc(title)
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 28 + i * 24;
        let w = (v / max * 300.0).max(1.0);
        let _ = write!(
            s,
            r##"<text x="4" y="{ty}" font-size="12" font-family="sans-serif">{l}</text><rect x="170" y="{y}" width="{w:.1}" height="16" fill="#4a7c59"/><text x="{tx:.1}" y="{ty}" font-size="12" font-family="sans-serif">{v:.2} {u}</text>"##,
            ty = y + 12,
            l = esc(label),
            tx = 176.0 + w,
            u = esc(unit)
        );
    }
    s.push_str("</svg>");
    s
}

/// A line chart of (x, y) points.
pub fn line_chart(title: &str, points: &[(f64, f64)], x_label: &str) -> String {
    let (w, h) = (560.0, 200.0);
    let (x0, x1) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let ymax = points.iter().map(|p| p.1).fold(0.0f64, f64::max).max(1e-9);
    let span = (x1 - x0).max(1e-9);
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| {
            format!(
                "{:.1},{:.1}",
                40.0 + (x - x0) / span * (w - 60.0),
                h - 30.0 - y / ymax * (h - 60.0)
            )
        })
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{t}"><text x="4" y="16" font-size="14" font-family="sans-serif">{t}</text><polyline fill="none" stroke="#8a5a2b" stroke-width="2" points="{p}"/><line x1="40" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/><text x="40" y="{lb}" font-size="11" font-family="sans-serif">{x0:.0}</text><text x="{r2}" y="{lb}" font-size="11" font-family="sans-serif">{x1:.0}</text><text x="250" y="{lb}" font-size="11" font-family="sans-serif">{xl}</text></svg>"##,
        t = esc(title),
        p = path.join(" "),
        b = h - 30.0,
        r = w - 20.0,
        lb = h - 12.0,
        r2 = w - 40.0,
        xl = esc(x_label),
    )
}

/// Camera positions as a map (equirectangular, north up); highlighted ones filled.
pub fn map(title: &str, cams: &[(String, f64, f64, bool)]) -> String {
    let (w, h) = (400.0, 400.0);
    if cams.is_empty() {
        return String::new();
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (_, lat, lon, _) in cams {
        lat0 = lat0.min(*lat);
        lat1 = lat1.max(*lat);
        lon0 = lon0.min(*lon);
        lon1 = lon1.max(*lon);
    }
    let k = (lat1 - lat0).max(lon1 - lon0).max(1e-6);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{t}"><text x="4" y="16" font-size="14" font-family="sans-serif">{t}</text>"#,
        t = esc(title)
    );
    for (id, lat, lon, hi) in cams {
        let x = 40.0 + (lon - lon0) / k * (w - 100.0);
        let y = h - 30.0 - (lat - lat0) / k * (h - 70.0);
        let _ = write!(
            s,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="{f}" stroke="#333"/><text x="{tx:.1}" y="{ty:.1}" font-size="10" font-family="sans-serif">{l}</text>"##,
            f = if *hi { "#c0392b" } else { "#fff" },
            tx = x + 7.0,
            ty = y + 4.0,
            l = esc(id)
        );
    }
    s.push_str("</svg>");
    s
}

fn html_page(title: &str, body_md: &str) -> String {
    // The Markdown is simple: headings, paragraphs, bullet lists and inline SVG blocks.
    let mut html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}</style></head><body>",
        t = esc(title)
    );
    let mut in_list = false;
    for line in body_md.lines() {
        let l = line.trim_end();
        if let Some(item) = l.strip_prefix("- ") {
            if !in_list {
                html.push_str("<ul>");
                in_list = true;
            }
            let _ = write!(html, "<li>{}</li>", esc(item));
            continue;
        }
        if in_list {
            html.push_str("</ul>");
            in_list = false;
        }
        if let Some(h) = l.strip_prefix("## ") {
            let _ = write!(html, "<h2>{}</h2>", esc(h));
        } else if let Some(h) = l.strip_prefix("# ") {
            let _ = write!(html, "<h1>{}</h1>", esc(h));
        } else if l.starts_with("<svg") {
            html.push_str(l);
        } else if !l.is_empty() {
            let _ = write!(html, "<p>{}</p>", esc(l));
        }
    }
    if in_list {
        html.push_str("</ul>");
    }
    html.push_str("</body></html>");
    html
}

fn rows(v: &Value, key: &str) -> Vec<Value> {
    v.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

fn diel_points(d: &Value) -> Vec<(f64, f64)> {
    rows(d, "density")
        .iter()
        .filter_map(|p| Some((p.get("hour")?.as_f64()?, p.get("density")?.as_f64()?)))
        .collect()
}

/// Builds a report by asking the agents.
pub async fn build(o: &Orchestrator, req: ReportRequest) -> Result<Report, ReportError> {
    let now = o.now();
    let to = req.to.clone().unwrap_or_else(|| now.to_rfc3339());
    let from = req
        .from
        .clone()
        .unwrap_or_else(|| (now - Duration::days(7)).to_rfc3339());
    let mut agents = Vec::new();
    let mut md = String::new();
    let title;
    match req.kind.as_str() {
        "site" => {
            let site = req
                .site
                .clone()
                .ok_or_else(|| ReportError::BadRequest("a site report needs 'site', e.g. \"North Ridge\"".into()))?;
            let (summary, rai, cams) = tokio::join!(
                o.delegate("summarize_period", json!({"from": from, "to": to, "site": site})),
                o.delegate("rai", json!({"from": from, "to": to, "site": site, "limit": 500})),
                o.delegate("list_cameras", json!({"site": site, "limit": 500})),
            );
            agents.extend([summary.0.clone(), rai.0.clone(), cams.0.clone()]);
            let summary = summary
                .1
                .ok_or_else(|| ReportError::Agent(summary.0.error.unwrap_or_default()))?;
            title = format!("Weekly report: {site}");
            let _ = writeln!(md, "# {title}\n\n{from} to {to}\n");
            let _ = writeln!(
                md,
                "{} animal events, {} with people, {} with vehicles, on {} camera(s).\n",
                summary.get("animalEvents").and_then(Value::as_u64).unwrap_or(0),
                summary.get("humanEvents").and_then(Value::as_u64).unwrap_or(0),
                summary.get("vehicleEvents").and_then(Value::as_u64).unwrap_or(0),
                rows(&summary, "camerasIncluded").len()
            );
            let species = rows(&summary, "species");
            let _ = writeln!(md, "## Species\n");
            for s in &species {
                let _ = writeln!(
                    md,
                    "- {}: {} events, {} independent detections, largest group {}",
                    s.get("commonName")
                        .or(s.get("scientificName"))
                        .and_then(Value::as_str)
                        .unwrap_or("?"),
                    s.get("events").and_then(Value::as_u64).unwrap_or(0),
                    s.get("independentDetections").and_then(Value::as_u64).unwrap_or(0),
                    s.get("maxCount").and_then(Value::as_i64).unwrap_or(0)
                );
            }
            let bars: Vec<(String, f64)> = species
                .iter()
                .take(12)
                .map(|s| {
                    (
                        s.get("commonName")
                            .or(s.get("scientificName"))
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string(),
                        s.get("events").and_then(Value::as_f64).unwrap_or(0.0),
                    )
                })
                .collect();
            let _ = writeln!(md, "\n{}\n", bar_chart("Events by species", &bars, "events"));
            if let Some(r) = &rai.1 {
                let mut per_cam: BTreeMap<String, f64> = BTreeMap::new();
                for row in rows(r, "per_camera") {
                    if let (Some(c), Some(v)) = (
                        row.get("camera_id").and_then(Value::as_str),
                        row.get("rai").and_then(Value::as_f64),
                    ) {
                        *per_cam.entry(c.to_string()).or_default() += v;
                    }
                }
                let bars: Vec<(String, f64)> = per_cam.into_iter().collect();
                let _ = writeln!(
                    md,
                    "## Relative abundance by camera\n\n{}\n",
                    bar_chart("RAI (all species) by camera", &bars, "per 100 trap-nights")
                );
            }
            // Events over time and diel activity of the most seen species.
            let top = species
                .first()
                .and_then(|s| s.get("scientificName").and_then(Value::as_str))
                .map(String::from);
            let cam_ids: Vec<String> = rows(&summary, "camerasIncluded")
                .iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect();
            let event_calls = cam_ids.iter().map(|c| {
                o.delegate(
                    "find_events",
                    json!({"from": from, "to": to, "camera": c, "limit": 500}),
                )
            });
            let diel = async {
                match &top {
                    Some(sp) => Some(
                        o.delegate(
                            "diel_activity",
                            json!({"from": from, "to": to, "site": site, "species": sp}),
                        )
                        .await,
                    ),
                    None => None,
                }
            };
            let (evs, diel) = tokio::join!(futures::future::join_all(event_calls), diel);
            let mut per_day: BTreeMap<String, f64> = BTreeMap::new();
            for (u, d) in evs {
                agents.push(u);
                for e in d.as_ref().map(|d| rows(d, "events")).unwrap_or_default() {
                    if let Some(day) = e
                        .get("localStart")
                        .and_then(Value::as_str)
                        .map(|s| s[..10.min(s.len())].to_string())
                    {
                        *per_day.entry(day).or_default() += 1.0;
                    }
                }
            }
            if !per_day.is_empty() {
                let pts: Vec<(f64, f64)> = per_day
                    .values()
                    .enumerate()
                    .map(|(i, v)| (i as f64 + 1.0, *v))
                    .collect();
                let first = per_day.keys().next().cloned().unwrap_or_default();
                let _ = writeln!(
                    md,
                    "## Events over time\n\n{}\n",
                    line_chart("Animal events per day", &pts, &format!("day (1 = {first})"))
                );
            }
            if let Some((u, Some(d))) = diel {
                agents.push(u);
                let _ = writeln!(
                    md,
                    "## Diel activity of {}\n\n{}\n",
                    top.clone().unwrap_or_default(),
                    line_chart("Activity density by hour", &diel_points(&d), "hour of day")
                );
            }
            if let Some(c) = &cams.1 {
                let pts: Vec<(String, f64, f64, bool)> = rows(c, "cameras")
                    .iter()
                    .filter_map(|c| {
                        let id = c.get("id")?.as_str()?.to_string();
                        let hi = cam_ids.contains(&id);
                        Some((id, c.get("latitude")?.as_f64()?, c.get("longitude")?.as_f64()?, hi))
                    })
                    .collect();
                let _ = writeln!(
                    md,
                    "## Camera positions\n\n{}\n",
                    map(&format!("Cameras at {site}"), &pts)
                );
            }
        }
        "species" => {
            let species = req
                .species
                .clone()
                .ok_or_else(|| ReportError::BadRequest("a species profile needs 'species', e.g. \"elk\"".into()))?;
            // A profile covers the whole study unless a period is given.
            let window = |mut v: Value| {
                if let Some(f) = &req.from {
                    v["from"] = json!(f);
                }
                if let Some(t) = &req.to {
                    v["to"] = json!(t);
                }
                v
            };
            let (diel, rai, sightings, cams) = tokio::join!(
                o.delegate("diel_activity", window(json!({"species": species}))),
                o.delegate("rai", window(json!({"species": [species], "limit": 500}))),
                o.delegate("sightings", window(json!({"species": species}))),
                o.delegate("list_cameras", json!({"limit": 500})),
            );
            agents.extend([diel.0.clone(), rai.0.clone(), sightings.0.clone(), cams.0.clone()]);
            if diel.1.is_none() && rai.1.is_none() {
                return Err(ReportError::Agent(
                    diel.0.error.or(rai.0.error).unwrap_or_else(|| "no data".into()),
                ));
            }
            title = format!("Species profile: {species}");
            let period = match (&req.from, &req.to) {
                (None, None) => "The whole study.".to_string(),
                (f, t) => format!(
                    "{} to {}",
                    f.as_deref().unwrap_or("the start"),
                    t.as_deref().unwrap_or("the end")
                ),
            };
            let _ = writeln!(md, "# {title}\n\n{period}\n");
            if let Some(d) = &diel.1 {
                let _ = writeln!(
                    md,
                    "Activity: {} ({} events).\n\n{}\n",
                    d.get("activity_class").and_then(Value::as_str).unwrap_or("?"),
                    d.get("n").and_then(Value::as_u64).unwrap_or(0),
                    line_chart("Activity density by hour", &diel_points(d), "hour of day")
                );
            }
            if let Some(r) = &rai.1 {
                for s in rows(r, "species") {
                    let _ = writeln!(
                        md,
                        "- RAI {:.2} per 100 trap-nights ({} independent detections, {} cameras)",
                        s.get("rai").and_then(Value::as_f64).unwrap_or(0.0),
                        s.get("independent").and_then(Value::as_u64).unwrap_or(0),
                        s.get("cameras_detected").and_then(Value::as_u64).unwrap_or(0)
                    );
                }
                let bars: Vec<(String, f64)> = rows(r, "per_camera")
                    .iter()
                    .filter_map(|row| Some((row.get("camera_id")?.as_str()?.to_string(), row.get("rai")?.as_f64()?)))
                    .collect();
                let _ = writeln!(md, "\n{}\n", bar_chart("RAI by camera", &bars, "per 100 trap-nights"));
            }
            let seen: Vec<String> = sightings
                .1
                .as_ref()
                .map(|s| rows(s, "cameras"))
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c.get("cameraId").and_then(Value::as_str).map(String::from))
                .collect();
            if let Some(c) = &cams.1 {
                let pts: Vec<(String, f64, f64, bool)> = rows(c, "cameras")
                    .iter()
                    .filter_map(|c| {
                        let id = c.get("id")?.as_str()?.to_string();
                        let hi = seen.contains(&id);
                        Some((id, c.get("latitude")?.as_f64()?, c.get("longitude")?.as_f64()?, hi))
                    })
                    .collect();
                let _ = writeln!(md, "## Where it was seen\n\n{}\n", map("Cameras (filled: seen)", &pts));
            }
        }
        other => {
            return Err(ReportError::BadRequest(format!(
                "unknown report kind '{other}': use \"site\" or \"species\""
            )));
        }
    }
    let sources: Vec<String> = agents
        .iter()
        .filter(|a| a.status == "ok")
        .map(|a| format!("{} ({})", a.agent, a.operation))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = writeln!(md, "## Sources\n\n{}", sources.join(", "));
    let html = html_page(&title, &md);
    Ok(Report {
        title,
        markdown: md,
        html,
        agents,
    })
}
