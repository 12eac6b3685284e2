//! The built-in, rule-based reading of a question: which species, places, individuals and
//! time window it names, and what it asks (the intent). No model: words and the vocabulary
//! (species and cameras) learned from the agents.

use serde::{Deserialize, Serialize};

use crate::time::{self, Window};

/// A species the data knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeciesName {
    /// Scientific name.
    pub scientific: String,
    /// Common name (lower case).
    pub common: String,
}

/// A camera the inventory knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraName {
    /// Camera id.
    pub id: String,
    /// Camera name.
    pub name: String,
    /// Site.
    pub site: Option<String>,
}

/// Names to recognise, learned from the agents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Species.
    pub species: Vec<SpeciesName>,
    /// Cameras.
    pub cameras: Vec<CameraName>,
}

/// A place: one camera, a site, or a group of cameras.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// How to say it ("at CREEK-01", "at North Ridge").
    pub label: String,
    /// Camera ids.
    pub cameras: Vec<String>,
    /// The site, when the place is one.
    pub site: Option<String>,
}

/// What a question asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Intent {
    /// Events: how many, what they were doing.
    Events,
    /// A summary of a period.
    Summary,
    /// The cameras and their health.
    Cameras,
    /// Relative abundance.
    Rai,
    /// When a species is active.
    Diel,
    /// Overlap of two species' activity.
    Overlap,
    /// Naive occupancy.
    Occupancy,
    /// Sampling effort.
    Effort,
    /// Seasonal migration.
    Migration,
    /// Trails of individuals or species.
    Trails,
    /// Where a species was seen.
    Sightings,
}

/// What was understood of one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// What it asks.
    pub intent: Intent,
    /// Species named, in order.
    pub species: Vec<SpeciesName>,
    /// Places named, in order (two for a comparison of places).
    pub places: Vec<Place>,
    /// The time window.
    pub window: Option<Window>,
    /// A marked individual ("bear-F1").
    pub individual: Option<String>,
    /// A camera health state asked about.
    pub health: Option<String>,
    /// A comparison ("compare", "vs", "more ... than").
    pub compare: bool,
    /// Two periods compared ("this week vs last week"), else empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compare_windows: Vec<Window>,
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| c.is_whitespace() || ",?!;:()\"".contains(c))
        .map(|w| w.trim_end_matches('.').trim_end_matches("'s").to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

fn contains_phrase(hay: &[String], phrase: &str) -> Option<usize> {
    let needle: Vec<&str> = phrase.split_whitespace().collect();
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| needle.iter().enumerate().all(|(j, n)| hay[i + j] == *n))
}

fn plurals(word: &str) -> Vec<String> {
    let mut v = vec![word.to_string(), format!("{word}s")];
    if word.ends_with('x') || word.ends_with("ch") || word.ends_with('s') {
        v.push(format!("{word}es"));
    }
    if let Some(stem) = word.strip_suffix('y') {
        v.push(format!("{stem}ies"));
    }
    v
}

impl Vocabulary {
    /// Species named in the text, by position.
    pub fn species_in(&self, text: &str) -> Vec<SpeciesName> {
        let ws = words(text);
        let mut found: Vec<(usize, SpeciesName)> = Vec::new();
        for s in &self.species {
            let mut forms: Vec<String> = Vec::new();
            let common = s.common.to_lowercase();
            forms.extend(plurals(&common));
            forms.push(s.scientific.to_lowercase());
            // The last word alone ("deer", "fox", "bear") when no other species shares it.
            if let Some(last) = common.split_whitespace().last() {
                let shared = self
                    .species
                    .iter()
                    .filter(|o| o.common.to_lowercase().split_whitespace().last() == Some(last))
                    .count();
                if shared == 1 {
                    forms.extend(plurals(last));
                }
            }
            // "black bear" from "american black bear".
            let parts: Vec<&str> = common.split_whitespace().collect();
            if parts.len() == 3 {
                forms.extend(plurals(&parts[1..].join(" ")));
            }
            if let Some(pos) = forms.iter().filter_map(|f| contains_phrase(&ws, f)).min() {
                found.push((pos, s.clone()));
            }
        }
        found.sort_by_key(|(p, _)| *p);
        found.into_iter().map(|(_, s)| s).collect()
    }

    /// Places named in the text, by position.
    pub fn places_in(&self, text: &str) -> Vec<Place> {
        let ws = words(text);
        let mut found: Vec<(usize, Place)> = Vec::new();
        for c in &self.cameras {
            let pos =
                contains_phrase(&ws, &c.id.to_lowercase()).or_else(|| contains_phrase(&ws, &c.name.to_lowercase()));
            if let Some(p) = pos {
                found.push((
                    p,
                    Place {
                        label: format!("at {} ({})", c.id, c.name),
                        cameras: vec![c.id.clone()],
                        site: None,
                    },
                ));
            }
        }
        let mut sites: Vec<String> = self.cameras.iter().filter_map(|c| c.site.clone()).collect();
        sites.sort();
        sites.dedup();
        for site in &sites {
            if let Some(p) = contains_phrase(&ws, &site.to_lowercase()) {
                let cams = self
                    .cameras
                    .iter()
                    .filter(|c| c.site.as_deref() == Some(site.as_str()))
                    .map(|c| c.id.clone())
                    .collect();
                found.push((
                    p,
                    Place {
                        label: format!("at {site}"),
                        cameras: cams,
                        site: Some(site.clone()),
                    },
                ));
            }
        }
        // "the creek camera" -> the first CREEK camera; "at the ridge" -> every RIDGE camera.
        let mut prefixes: Vec<String> = self
            .cameras
            .iter()
            .filter_map(|c| c.id.split('-').next().map(|p| p.to_lowercase()))
            .collect();
        prefixes.sort();
        prefixes.dedup();
        for prefix in prefixes {
            for (i, w) in ws.iter().enumerate() {
                let singular = w == &prefix;
                if !(singular || *w == format!("{prefix}s")) {
                    continue;
                }
                if found.iter().any(|(p, _)| *p <= i && i < p + 3) {
                    continue;
                }
                let next = ws.get(i + 1).map(String::as_str);
                let prev = if i > 0 { ws.get(i - 1).map(String::as_str) } else { None };
                let cams: Vec<&CameraName> = self
                    .cameras
                    .iter()
                    .filter(|c| c.id.to_lowercase().starts_with(&format!("{prefix}-")))
                    .collect();
                if cams.is_empty() {
                    continue;
                }
                if singular && matches!(next, Some("camera") | Some("cam")) {
                    let c = cams[0];
                    found.push((
                        i,
                        Place {
                            label: format!("at the {prefix} camera ({})", c.id),
                            cameras: vec![c.id.clone()],
                            site: None,
                        },
                    ));
                } else if matches!(next, Some("cameras")) || matches!(prev, Some("the") | Some("at") | Some("near")) {
                    found.push((
                        i,
                        Place {
                            label: format!(
                                "at the {prefix} cameras ({})",
                                cams.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
                            ),
                            cameras: cams.iter().map(|c| c.id.clone()).collect(),
                            site: None,
                        },
                    ));
                }
                break;
            }
        }
        found.sort_by_key(|(p, _)| *p);
        found.into_iter().map(|(_, p)| p).collect()
    }
}

/// A marked individual's id in the text: a token like `bear-F1` (letters, a hyphen, a
/// letter and digits), which no camera id looks like.
fn individual_in(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || ",?!;:()\"'".contains(c))
        .map(|w| w.trim_end_matches('.'))
        .find(|w| {
            let Some((head, tail)) = w.split_once('-') else {
                return false;
            };
            let mut chars = tail.chars();
            !head.is_empty()
                && head.chars().all(|c| c.is_ascii_alphabetic())
                && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && tail.len() >= 2
                && chars.all(|c| c.is_ascii_digit())
        })
        .map(String::from)
}

fn intent_of(lower: &str, species: usize, individual: bool) -> Option<Intent> {
    let has = |p: &str| lower.contains(p);
    let any = |ps: &[&str]| ps.iter().any(|p| lower.contains(p));
    let ws = words(lower);
    let word = |ps: &[&str]| ws.iter().any(|w| ps.contains(&w.as_str()));
    if any(&["overlap"]) && species >= 2 {
        return Some(Intent::Overlap);
    }
    if word(&["rai"]) || any(&["relative abundance", "abundance"]) {
        return Some(Intent::Rai);
    }
    if any(&["occupancy", "what share of cameras", "how many stations"]) {
        return Some(Intent::Occupancy);
    }
    if any(&["trap-night", "trap night", "effort"]) {
        return Some(Intent::Effort);
    }
    if any(&["migrat"]) {
        return Some(Intent::Migration);
    }
    if any(&[
        "diel",
        "time of day",
        "activity pattern",
        "nocturnal",
        "diurnal",
        "crepuscular",
    ]) || (has("when") && (has("active") || has("activity")))
    {
        return Some(Intent::Diel);
    }
    if (word(&[
        "trail", "trails", "route", "routes", "path", "paths", "go", "went", "moved", "move", "moving",
    ]) || any(&["where did", "where does"]))
        && (individual || species > 0)
    {
        return Some(Intent::Trails);
    }
    if any(&[
        "sighting",
        "where was",
        "where were",
        "where are",
        "which cameras saw",
        "where have",
    ]) && species > 0
    {
        return Some(Intent::Sightings);
    }
    if any(&[
        "summary",
        "summar",
        "overview",
        "what happened",
        "report",
        "anything interesting",
        "what was seen",
        "what did the cameras see",
    ]) {
        return Some(Intent::Summary);
    }
    if (word(&["camera", "cameras"])
        && (word(&[
            "offline", "faulty", "online", "health", "broken", "working", "battery", "list", "sleeping", "retired",
            "status",
        ]) || any(&["which cameras", "how many cameras"])))
        || any(&["what cameras"])
    {
        return Some(Intent::Cameras);
    }
    if species > 0 || individual || any(&["event", "visit", "how many", "doing", "seen", "detect", "animals"]) {
        return Some(Intent::Events);
    }
    None
}

fn health_in(lower: &str) -> Option<String> {
    for (word, state) in [
        ("offline", "faulty"),
        ("faulty", "faulty"),
        ("broken", "faulty"),
        ("not working", "faulty"),
        ("sleeping", "sleeping"),
        ("online", "online"),
        ("retired", "retired"),
        ("not deployed", "notDeployed"),
    ] {
        if lower.contains(word) {
            return Some(state.to_string());
        }
    }
    None
}

/// True for a follow-up that leans on the question before ("and at the ridge?").
pub fn is_follow_up(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    ["and ", "and?", "what about", "how about", "same ", "also "]
        .iter()
        .any(|p| t.starts_with(p))
}

/// Reads one question. `previous` is the query before it in the conversation: a follow-up
/// keeps what it does not replace. `None` when nothing in it is understood.
pub fn understand(
    text: &str,
    vocab: &Vocabulary,
    now: chrono::DateTime<chrono::FixedOffset>,
    previous: Option<&Query>,
) -> Option<Query> {
    let lower = text.to_lowercase();
    let species = vocab.species_in(text);
    let places = vocab.places_in(text);
    let individual = individual_in(text);
    let window = time::parse(text, now, previous.and_then(|p| p.window.as_ref()));
    let compare = lower.contains("compare")
        || lower.contains(" vs")
        || lower.contains("versus")
        || lower.contains("more than")
        || (lower.contains("more ") && lower.contains(" than "))
        || lower.contains("fewer")
        || lower.contains("difference between");
    let intent = intent_of(&lower, species.len(), individual.is_some());
    let follow = previous.is_some() && is_follow_up(text);
    // "this week vs last week": a window on each side of the comparison word.
    let mut compare_windows = Vec::new();
    if compare {
        for sep in [
            " vs. ",
            " vs ",
            " versus ",
            " compared to ",
            " compared with ",
            " than ",
        ] {
            if let Some(at) = lower.find(sep) {
                let left = time::parse(&lower[..at], now, None);
                let right = time::parse(&lower[at + sep.len()..], now, left.as_ref());
                if let (Some(l), Some(r)) = (left, right)
                    && l != r
                {
                    compare_windows = vec![l, r];
                }
                break;
            }
        }
    }
    match (intent, previous) {
        (None, Some(prev)) if follow || window.is_some() || !species.is_empty() || !places.is_empty() => Some(Query {
            intent: prev.intent,
            species: if species.is_empty() {
                prev.species.clone()
            } else {
                species
            },
            places: if places.is_empty() { prev.places.clone() } else { places },
            window: window.or_else(|| prev.window.clone()),
            individual: individual.or_else(|| prev.individual.clone()),
            health: health_in(&lower).or_else(|| prev.health.clone()),
            compare: compare || prev.compare && follow,
            compare_windows,
        }),
        (Some(intent), Some(prev)) if follow => Some(Query {
            intent,
            species: if species.is_empty() {
                prev.species.clone()
            } else {
                species
            },
            places: if places.is_empty() { prev.places.clone() } else { places },
            window: window.or_else(|| prev.window.clone()),
            individual: individual.or_else(|| prev.individual.clone()),
            health: health_in(&lower),
            compare,
            compare_windows,
        }),
        (Some(intent), _) => Some(Query {
            intent,
            species,
            places,
            window,
            individual,
            health: health_in(&lower),
            compare,
            compare_windows,
        }),
        (None, _) => None,
    }
}

/// Splits a multi-part question ("How many elk last week? And which cameras are offline?")
/// into its parts. Follow-ups of one part ("and the day before?") stay separate parts.
pub fn split_parts(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for chunk in text.split_inclusive(['?', ';']) {
        let c = chunk.trim().trim_end_matches(';').trim();
        if !c.is_empty() {
            parts.push(c.to_string());
        }
    }
    let mut out = Vec::new();
    for p in parts {
        for piece in p.split(" and also ") {
            if !piece.trim().is_empty() {
                out.push(piece.trim().to_string());
            }
        }
    }
    if out.is_empty() {
        vec![text.trim().to_string()]
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn vocab() -> Vocabulary {
        let sp = |s: &str, c: &str| SpeciesName {
            scientific: s.into(),
            common: c.into(),
        };
        let cam = |id: &str, name: &str, site: &str| CameraName {
            id: id.into(),
            name: name.into(),
            site: Some(site.into()),
        };
        Vocabulary {
            species: vec![
                sp("Odocoileus hemionus", "mule deer"),
                sp("Cervus canadensis", "elk"),
                sp("Vulpes vulpes", "red fox"),
                sp("Ursus americanus", "american black bear"),
                sp("Tamiasciurus hudsonicus", "red squirrel"),
            ],
            cameras: vec![
                cam("CREEK-01", "Creek crossing", "Cedar Creek"),
                cam("CREEK-02", "Beaver ponds", "Cedar Creek"),
                cam("RIDGE-02", "Timber saddle", "North Ridge"),
                cam("RIDGE-03", "North ridge saddle", "North Ridge"),
                cam("RIDGE-01", "South ridge spur", "South Ridge"),
            ],
        }
    }

    fn now() -> DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339("2026-08-14T21:30:00-06:00").unwrap()
    }

    #[test]
    fn reads_species_places_and_intents() {
        let v = vocab();
        let q = understand(
            "What were the deer doing at the creek camera last night?",
            &v,
            now(),
            None,
        )
        .unwrap();
        assert_eq!(q.intent, Intent::Events);
        assert_eq!(q.species[0].scientific, "Odocoileus hemionus");
        assert_eq!(q.places[0].cameras, ["CREEK-01"]);
        assert_eq!(q.window.as_ref().unwrap().label, "last night");
        let q = understand("weekly report for the north ridge", &v, now(), None).unwrap();
        assert_eq!(q.intent, Intent::Summary);
        assert_eq!(q.places[0].site.as_deref(), Some("North Ridge"));
        let q = understand("How many elk vs foxes in July?", &v, now(), None).unwrap();
        assert!(q.compare);
        assert_eq!(q.species.len(), 2);
        assert_eq!(
            understand("which cameras are offline?", &v, now(), None)
                .unwrap()
                .intent,
            Intent::Cameras
        );
        assert_eq!(
            understand("when are black bears active?", &v, now(), None)
                .unwrap()
                .intent,
            Intent::Diel
        );
        assert_eq!(understand("RAI of elk", &v, now(), None).unwrap().intent, Intent::Rai);
        let q = understand("where did bear-F1 go this week?", &v, now(), None).unwrap();
        assert_eq!(q.intent, Intent::Trails);
        assert_eq!(q.individual.as_deref(), Some("bear-F1"));
        assert!(understand("hello there, nice weather", &v, now(), None).is_none());
        let q = understand("How many elk this week vs last week?", &v, now(), None).unwrap();
        assert_eq!(q.compare_windows.len(), 2);
        assert_eq!(q.compare_windows[1].label, "last week");
    }

    #[test]
    fn follow_ups_keep_context() {
        let v = vocab();
        let first = understand(
            "What were the deer doing at the creek camera last night?",
            &v,
            now(),
            None,
        )
        .unwrap();
        let q = understand("and the day before?", &v, now(), Some(&first)).unwrap();
        assert_eq!(q.species, first.species);
        assert_eq!(q.places, first.places);
        assert_eq!(q.window.unwrap().from.to_rfc3339(), "2026-08-12T18:00:00-06:00");
        let q = understand("and at the ridge?", &v, now(), Some(&first)).unwrap();
        assert_eq!(q.places[0].cameras.len(), 3);
        assert_eq!(q.window, first.window);
    }

    #[test]
    fn splits_multi_part_questions() {
        assert_eq!(
            split_parts("How many elk last week? Which cameras are offline?"),
            ["How many elk last week?", "Which cameras are offline?"]
        );
    }
}
