//! Behaviour labels from what a trail camera records: track speed across the frame
//! (frame-widths per second), the time between frames (dwell), the number of animals, the
//! feature the camera watches, time of day and season.
//!
//! The rules follow the cues field ecologists use when they label sequences (DOMAIN.md,
//! "Behaviours ecologists label"; Camtrap DP `behavior`): an animal crossing the frame in a
//! few seconds at a steady pace is travelling (several together: group movement); one that
//! stays for minutes with little displacement is feeding (drinking at a water source), or,
//! when the camera re-triggers only every few minutes, resting; short bursts with the animal
//! standing still are vigilance; several seconds of close interaction inside the species'
//! breeding season are courtship. Each label carries the evidence (features and numbers)
//! that produced it and a confidence in 0..1 (a rule score, not a calibrated probability;
//! the skill's tests measure precision and recall against the demo's ground truth).

use chrono::{Datelike, NaiveDate};
use trailmesh_core::model::{Behaviour, FeatureType};

/// What the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// Scientific name, if known.
    pub species: Option<String>,
    /// Animals seen at once.
    pub count: u32,
    /// Seconds from first to last frame.
    pub dwell_s: f64,
    /// Frames with the animal (largest over its tracks).
    pub frames: u32,
    /// Mean track speed, frame-widths per second (tracks with one frame have none).
    pub speed_fw_s: Option<f64>,
    /// Mean resultant length of the track headings (1 = all tracks go the same way).
    pub heading_agreement: Option<f64>,
    /// What the camera watches.
    pub feature_type: Option<FeatureType>,
    /// Night / dawn / day / dusk.
    pub phase: &'static str,
    /// Local date of the event.
    pub date: NaiveDate,
    /// Latitude of the camera (southern hemisphere shifts seasons by six months).
    pub latitude: Option<f64>,
}

/// One piece of evidence for a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Clue {
    /// Feature name (`speed`, `dwell`, `frame_gap`, `count`, `feature_type`, `season`, ...).
    pub feature: &'static str,
    /// Its value, when numeric.
    pub value: Option<f64>,
    /// Unit of the value.
    pub unit: &'static str,
    /// Why it supports the label.
    pub note: String,
}

/// A label with its confidence and evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    /// The label.
    pub label: Behaviour,
    /// Rule confidence, 0..1.
    pub confidence: f64,
    /// What supported it.
    pub evidence: Vec<Clue>,
}

/// Speed (frame-widths/s) above which an animal is moving through rather than milling about.
pub const DIRECTED_SPEED: f64 = 0.08;
/// Speed (frame-widths/s) above which a moving animal is running.
pub const RUNNING_SPEED: f64 = 0.65;
/// Seconds between frames above which a still animal is resting rather than feeding.
pub const RESTING_GAP_S: f64 = 100.0;
/// Seconds between frames above which a still animal is feeding rather than vigilant.
pub const FEEDING_GAP_S: f64 = 16.0;

/// A species' breeding window: scientific name, first (month, day), last (month, day).
pub type BreedingWindow = (&'static str, (u32, u32), (u32, u32));

/// Breeding (courtship / rut) windows per species, northern hemisphere, as (month, day)
/// pairs: elk rut late August to mid October (Geist 2002, *Elk Country*); mule deer rut
/// November to mid December; white-tailed deer mid October to mid December; wild turkey
/// strutting late March to May; red fox January to February; coyote late January to early
/// March; raccoon February to March; black bear June to mid July; red squirrel mid February
/// to April; Steller's jay April to May.
pub const BREEDING_WINDOWS: &[BreedingWindow] = &[
    ("Cervus canadensis", (8, 25), (10, 15)),
    ("Cervus elaphus", (9, 1), (10, 31)),
    ("Odocoileus hemionus", (11, 1), (12, 15)),
    ("Odocoileus virginianus", (10, 15), (12, 15)),
    ("Meleagris gallopavo", (3, 25), (5, 31)),
    ("Vulpes vulpes", (1, 5), (2, 20)),
    ("Canis latrans", (1, 20), (3, 10)),
    ("Procyon lotor", (2, 1), (3, 31)),
    ("Ursus americanus", (6, 1), (7, 20)),
    ("Tamiasciurus hudsonicus", (2, 15), (4, 30)),
    ("Cyanocitta stelleri", (4, 1), (5, 31)),
];

/// Whether `date` lies in the species' breeding window (shifted six months south of the
/// equator). `None` when we know no window for the species.
pub fn in_breeding_season(species: &str, date: NaiveDate, latitude: Option<f64>) -> Option<bool> {
    let (_, from, to) = BREEDING_WINDOWS.iter().find(|w| w.0 == species)?;
    let date = if latitude.is_some_and(|l| l < 0.0) {
        date.checked_add_months(chrono::Months::new(6))?
    } else {
        date
    };
    let md = (date.month(), date.day());
    Some(if from <= to {
        *from <= md && md <= *to
    } else {
        md >= *from || md <= *to
    })
}

fn clue(feature: &'static str, value: Option<f64>, unit: &'static str, note: impl Into<String>) -> Clue {
    Clue {
        feature,
        value,
        unit,
        note: note.into(),
    }
}

/// Infers behaviour labels, dominant first.
pub fn infer(f: &Features) -> Vec<Inferred> {
    let mut out = Vec::new();
    let gap = if f.frames > 1 {
        f.dwell_s / f64::from(f.frames - 1)
    } else {
        0.0
    };
    let breeding = f
        .species
        .as_deref()
        .and_then(|s| in_breeding_season(s, f.date, f.latitude))
        .unwrap_or(false);
    let water = f.feature_type == Some(FeatureType::WaterSource);
    let moving = match f.speed_fw_s {
        Some(v) => v >= DIRECTED_SPEED,
        None => f.frames <= 1 || f.dwell_s < 1.0,
    };
    let primary = if moving {
        match f.speed_fw_s {
            Some(v) if v >= RUNNING_SPEED => Inferred {
                label: Behaviour::Running,
                confidence: (0.55 + (v - RUNNING_SPEED)).min(0.85),
                evidence: vec![clue(
                    "speed",
                    Some(v),
                    "frame-widths/s",
                    format!("crossed the frame fast (>= {RUNNING_SPEED} frame-widths/s)"),
                )],
            },
            Some(v) => Inferred {
                label: Behaviour::Travelling,
                confidence: (0.7 + 0.5 * (v - DIRECTED_SPEED)).min(0.9),
                evidence: vec![
                    clue(
                        "speed",
                        Some(v),
                        "frame-widths/s",
                        format!("steady movement across the frame (>= {DIRECTED_SPEED} frame-widths/s)"),
                    ),
                    clue("dwell", Some(f.dwell_s), "s", "in view only briefly"),
                ],
            },
            None => Inferred {
                label: Behaviour::Travelling,
                confidence: 0.55,
                evidence: vec![clue(
                    "frames",
                    Some(f64::from(f.frames)),
                    "frames",
                    "a single frame: the animal passed through",
                )],
            },
        }
    } else if gap >= RESTING_GAP_S {
        let mut ev = vec![
            clue(
                "frame_gap",
                Some(gap),
                "s",
                format!("re-triggered only every few minutes (>= {RESTING_GAP_S} s between frames): lying still"),
            ),
            clue("dwell", Some(f.dwell_s), "s", "stayed in front of the camera"),
        ];
        if let Some(v) = f.speed_fw_s {
            ev.push(clue("speed", Some(v), "frame-widths/s", "almost no displacement"));
        }
        if f.phase == "day" {
            ev.push(clue(
                "solar_phase",
                None,
                "",
                "daytime, when crepuscular and nocturnal animals bed down",
            ));
        }
        Inferred {
            label: Behaviour::Resting,
            confidence: if gap >= 150.0 { 0.75 } else { 0.55 },
            evidence: ev,
        }
    } else if gap >= FEEDING_GAP_S {
        let mut ev = vec![
            clue(
                "frame_gap",
                Some(gap),
                "s",
                "lingered with frames tens of seconds apart: head-down foraging pattern",
            ),
            clue("dwell", Some(f.dwell_s), "s", "stayed a minute or more"),
        ];
        if let Some(v) = f.speed_fw_s {
            ev.push(clue("speed", Some(v), "frame-widths/s", "little displacement"));
        }
        if water {
            ev.push(clue("feature_type", None, "", "camera watches a water source"));
            Inferred {
                label: Behaviour::Drinking,
                confidence: 0.6,
                evidence: ev,
            }
        } else {
            if matches!(f.feature_type, Some(FeatureType::FruitingTree)) {
                ev.push(clue("feature_type", None, "", "camera watches a fruiting tree"));
            }
            Inferred {
                label: Behaviour::Feeding,
                confidence: if gap > 60.0 { 0.55 } else { 0.7 },
                evidence: ev,
            }
        }
    } else if breeding && f.frames >= 4 && gap >= 3.0 {
        Inferred {
            label: Behaviour::Courtship,
            confidence: 0.5,
            evidence: vec![
                clue("season", None, "", "inside the species' breeding season"),
                clue(
                    "frames",
                    Some(f64::from(f.frames)),
                    "frames",
                    "a sustained close-range burst",
                ),
                clue(
                    "frame_gap",
                    Some(gap),
                    "s",
                    "seconds apart, animals interacting in place",
                ),
            ],
        }
    } else {
        Inferred {
            label: Behaviour::Vigilance,
            confidence: 0.55,
            evidence: vec![
                clue(
                    "frame_gap",
                    Some(gap),
                    "s",
                    format!("short burst (< {FEEDING_GAP_S} s between frames)"),
                ),
                clue("speed", f.speed_fw_s, "frame-widths/s", "standing still"),
            ],
        }
    };
    let travelling = matches!(primary.label, Behaviour::Travelling | Behaviour::Running);
    out.push(primary);
    if travelling && f.count >= 3 {
        let agree = f.heading_agreement.unwrap_or(0.0);
        out.push(Inferred {
            label: Behaviour::GroupMovement,
            confidence: (0.6 + 0.3 * agree).min(0.9),
            evidence: vec![
                clue(
                    "count",
                    Some(f64::from(f.count)),
                    "animals",
                    "three or more moving together",
                ),
                clue(
                    "heading_agreement",
                    f.heading_agreement,
                    "",
                    "track headings agree (1 = same direction)",
                ),
            ],
        });
    }
    if breeding && !out.iter().any(|l| l.label == Behaviour::Courtship) && !travelling {
        out.push(Inferred {
            label: Behaviour::Courtship,
            confidence: 0.2,
            evidence: vec![clue("season", None, "", "inside the species' breeding season")],
        });
    }
    out
}
