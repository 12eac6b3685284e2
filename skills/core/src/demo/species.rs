//! The demo species: true diel rhythms (in solar time), group sizes, habitat preferences,
//! movement, seasons and behaviour rules; plus the small random samplers the simulation
//! uses (written by hand: normal, Poisson, binomial, weighted choice).

use super::landscape::Hab;
use super::truth::{DielAnchor, DielClass};
use crate::model::Behaviour;
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// One component of a diel activity mixture.
#[derive(Debug, Clone, Copy)]
pub(super) enum Comp {
    /// Sunrise plus `offset` hours, normal with sd `sd` hours.
    Sunrise { offset: f64, sd: f64 },
    /// Sunset plus `offset` hours, normal with sd `sd` hours.
    Sunset { offset: f64, sd: f64 },
    /// A fraction of the night (sunset to next sunrise): normal(peak, spread) truncated to 0..1.
    Night { peak: f64, spread: f64 },
    /// A fraction of the day (sunrise to sunset).
    Day { peak: f64, spread: f64 },
    /// Uniform over 24 h.
    Anytime,
}

impl Comp {
    pub(super) fn anchor(self) -> DielAnchor {
        match self {
            Comp::Sunrise { .. } => DielAnchor::Sunrise,
            Comp::Sunset { .. } => DielAnchor::Sunset,
            Comp::Night { .. } => DielAnchor::Night,
            Comp::Day { .. } => DielAnchor::Day,
            Comp::Anytime => DielAnchor::Anytime,
        }
    }
}

/// A month-day window in the study's year.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub from: (u32, u32),
    pub to: (u32, u32),
}

impl Window {
    pub(super) fn dates(self, year: i32) -> (NaiveDate, NaiveDate) {
        let d = |(m, day): (u32, u32)| NaiveDate::from_ymd_opt(year, m, day).expect("valid month-day");
        (d(self.from), d(self.to))
    }

    pub(super) fn contains(self, date: NaiveDate) -> bool {
        let (a, b) = self.dates(date.year());
        a <= date && date <= b
    }
}

/// Breeding season and what it looks like on camera.
#[derive(Debug, Clone, Copy)]
pub(super) struct Breeding {
    pub window: Window,
    pub behaviours: &'static [Behaviour],
    /// Probability that a visit by a breeding-age group in the window shows them.
    pub p: f64,
    pub note: &'static str,
}

/// Everything the simulation knows about a species.
#[derive(Debug)]
pub(super) struct SpeciesSpec {
    /// Prefix of agent ids (`deer-u001`).
    pub code: &'static str,
    pub scientific: &'static str,
    pub common: &'static str,
    pub plural: &'static str,
    pub class: DielClass,
    pub diel: &'static [(f64, Comp)],
    /// Unmarked animal groups at scale 1.
    pub unmarked: u32,
    pub max_speed_kmh: f64,
    pub bouts_per_day: f64,
    /// Corridor steps per bout (inclusive range).
    pub steps: (u32, u32),
    pub range_km: f64,
    pub p_detect: f64,
    /// Box width and height (fraction of the frame) at a typical distance.
    pub bbox: (f64, f64),
    /// Travelling speed across the frame, frame-widths per second.
    pub travel_fw_s: (f64, f64),
    /// Preference per habitat class (index = `Hab as usize`).
    pub pref: [f64; 8],
    pub breeding: Option<Breeding>,
    /// From when young are seen with adults.
    pub young_from: Option<(u32, u32)>,
    /// Beds down near cameras (resting events).
    pub rests: bool,
    /// Feeds wherever it is (squirrels caching cones, jays).
    pub feeds_anywhere: bool,
    pub nursing: bool,
    pub play: bool,
    /// Probability of scent marking on a visit (trails).
    pub marking: f64,
    pub group_min: u32,
    pub group_max: u32,
}

pub(super) const DEER: usize = 0;
pub(super) const ELK: usize = 1;
pub(super) const FOX: usize = 2;
pub(super) const RACCOON: usize = 3;
pub(super) const SQUIRREL: usize = 4;
pub(super) const TURKEY: usize = 5;
pub(super) const JAY: usize = 6;
pub(super) const COYOTE: usize = 7;
pub(super) const BEAR: usize = 8;

use Behaviour as B;

/// Habitat preference order: creek, water, meadow, berries, forest, ridge, trailhead, road.
pub(super) const SPECIES: &[SpeciesSpec] = &[
    SpeciesSpec {
        code: "deer",
        scientific: "Odocoileus hemionus",
        common: "mule deer",
        plural: "mule deer",
        class: DielClass::Crepuscular,
        diel: &[
            (0.42, Comp::Sunrise { offset: 0.3, sd: 0.75 }),
            (0.42, Comp::Sunset { offset: -0.3, sd: 0.75 }),
            (0.08, Comp::Night { peak: 0.5, spread: 0.3 }),
            (
                0.08,
                Comp::Day {
                    peak: 0.5,
                    spread: 0.25,
                },
            ),
        ],
        unmarked: 33,
        max_speed_kmh: 5.0,
        bouts_per_day: 2.0,
        steps: (0, 2),
        range_km: 2.5,
        p_detect: 0.85,
        bbox: (0.2, 0.24),
        travel_fw_s: (0.12, 0.28),
        pref: [2.0, 2.0, 3.0, 2.0, 1.5, 1.5, 0.3, 0.4],
        breeding: Some(Breeding {
            window: Window {
                from: (11, 1),
                to: (12, 15),
            },
            behaviours: &[B::Courtship, B::Fighting],
            p: 0.2,
            note: "rut: bucks chase does and spar",
        }),
        young_from: Some((6, 15)),
        rests: true,
        feeds_anywhere: false,
        nursing: true,
        play: false,
        marking: 0.0,
        group_min: 1,
        group_max: 5,
    },
    SpeciesSpec {
        code: "elk",
        scientific: "Cervus canadensis",
        common: "elk",
        plural: "elk",
        class: DielClass::Crepuscular,
        diel: &[
            (0.42, Comp::Sunrise { offset: 0.5, sd: 0.8 }),
            (0.42, Comp::Sunset { offset: -0.5, sd: 0.8 }),
            (0.08, Comp::Night { peak: 0.5, spread: 0.3 }),
            (
                0.08,
                Comp::Day {
                    peak: 0.5,
                    spread: 0.25,
                },
            ),
        ],
        unmarked: 13,
        max_speed_kmh: 6.0,
        bouts_per_day: 2.0,
        steps: (0, 3),
        range_km: 1.2,
        p_detect: 0.9,
        bbox: (0.26, 0.3),
        travel_fw_s: (0.12, 0.3),
        pref: [1.0, 2.5, 4.0, 1.5, 1.0, 2.0, 0.05, 0.1],
        breeding: Some(Breeding {
            window: Window {
                from: (8, 25),
                to: (10, 15),
            },
            behaviours: &[B::Courtship, B::Fighting, B::Marking],
            p: 0.3,
            note: "rut: bulls bugle, spar and wallow",
        }),
        young_from: Some((6, 10)),
        rests: true,
        feeds_anywhere: false,
        nursing: true,
        play: false,
        marking: 0.0,
        group_min: 1,
        group_max: 15,
    },
    SpeciesSpec {
        code: "fox",
        scientific: "Vulpes vulpes",
        common: "red fox",
        plural: "red foxes",
        class: DielClass::Nocturnal,
        diel: &[
            (
                0.85,
                Comp::Night {
                    peak: 0.4,
                    spread: 0.25,
                },
            ),
            (0.06, Comp::Sunset { offset: 0.6, sd: 0.5 }),
            (0.06, Comp::Sunrise { offset: -0.6, sd: 0.5 }),
            (0.03, Comp::Day { peak: 0.5, spread: 0.3 }),
        ],
        unmarked: 9,
        max_speed_kmh: 6.0,
        bouts_per_day: 1.6,
        steps: (1, 3),
        range_km: 3.0,
        p_detect: 0.8,
        bbox: (0.11, 0.09),
        travel_fw_s: (0.15, 0.35),
        pref: [1.5, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.5],
        breeding: Some(Breeding {
            window: Window {
                from: (1, 5),
                to: (2, 20),
            },
            behaviours: &[B::Courtship, B::Mating],
            p: 0.15,
            note: "mating season",
        }),
        young_from: Some((6, 1)),
        rests: false,
        feeds_anywhere: false,
        nursing: false,
        play: true,
        marking: 0.08,
        group_min: 1,
        group_max: 3,
    },
    SpeciesSpec {
        code: "raccoon",
        scientific: "Procyon lotor",
        common: "raccoon",
        plural: "raccoons",
        class: DielClass::Nocturnal,
        diel: &[
            (
                0.95,
                Comp::Night {
                    peak: 0.35,
                    spread: 0.22,
                },
            ),
            (0.05, Comp::Sunset { offset: 1.0, sd: 0.4 }),
        ],
        unmarked: 7,
        max_speed_kmh: 3.0,
        bouts_per_day: 1.3,
        steps: (1, 2),
        range_km: 2.0,
        p_detect: 0.8,
        bbox: (0.09, 0.08),
        travel_fw_s: (0.1, 0.22),
        pref: [4.0, 4.0, 0.3, 0.8, 0.5, 0.1, 0.5, 0.3],
        breeding: Some(Breeding {
            window: Window {
                from: (2, 1),
                to: (3, 31),
            },
            behaviours: &[B::Courtship, B::Mating],
            p: 0.15,
            note: "mating season",
        }),
        young_from: Some((7, 1)),
        rests: false,
        feeds_anywhere: false,
        nursing: false,
        play: true,
        marking: 0.0,
        group_min: 1,
        group_max: 4,
    },
    SpeciesSpec {
        code: "squirrel",
        scientific: "Tamiasciurus hudsonicus",
        common: "red squirrel",
        plural: "red squirrels",
        class: DielClass::Diurnal,
        diel: &[
            (0.6, Comp::Day { peak: 0.3, spread: 0.2 }),
            (
                0.37,
                Comp::Day {
                    peak: 0.72,
                    spread: 0.17,
                },
            ),
            (0.03, Comp::Sunrise { offset: 0.3, sd: 0.4 }),
        ],
        unmarked: 19,
        max_speed_kmh: 2.0,
        bouts_per_day: 4.0,
        steps: (0, 0),
        range_km: 0.3,
        p_detect: 0.7,
        bbox: (0.045, 0.04),
        travel_fw_s: (0.25, 0.5),
        pref: [0.8, 0.3, 0.1, 0.3, 5.0, 3.0, 0.1, 0.1],
        breeding: Some(Breeding {
            window: Window {
                from: (2, 15),
                to: (4, 30),
            },
            behaviours: &[B::Courtship],
            p: 0.15,
            note: "mating chases",
        }),
        young_from: None,
        rests: false,
        feeds_anywhere: true,
        nursing: false,
        play: false,
        marking: 0.0,
        group_min: 1,
        group_max: 1,
    },
    SpeciesSpec {
        code: "turkey",
        scientific: "Meleagris gallopavo",
        common: "wild turkey",
        plural: "wild turkeys",
        class: DielClass::Diurnal,
        diel: &[
            (
                0.5,
                Comp::Day {
                    peak: 0.25,
                    spread: 0.18,
                },
            ),
            (
                0.45,
                Comp::Day {
                    peak: 0.7,
                    spread: 0.18,
                },
            ),
            (0.05, Comp::Sunrise { offset: 0.4, sd: 0.3 }),
        ],
        unmarked: 7,
        max_speed_kmh: 3.0,
        bouts_per_day: 2.0,
        steps: (0, 2),
        range_km: 2.0,
        p_detect: 0.85,
        bbox: (0.08, 0.11),
        travel_fw_s: (0.1, 0.22),
        pref: [1.0, 1.0, 5.0, 2.0, 0.5, 0.3, 0.3, 0.5],
        breeding: Some(Breeding {
            window: Window {
                from: (3, 25),
                to: (5, 31),
            },
            behaviours: &[B::Courtship, B::Mating],
            p: 0.3,
            note: "toms strut and gobble",
        }),
        young_from: Some((6, 5)),
        rests: false,
        feeds_anywhere: false,
        nursing: false,
        play: false,
        marking: 0.0,
        group_min: 1,
        group_max: 8,
    },
    SpeciesSpec {
        code: "jay",
        scientific: "Cyanocitta stelleri",
        common: "Steller's jay",
        plural: "Steller's jays",
        class: DielClass::Diurnal,
        diel: &[
            (
                0.9,
                Comp::Day {
                    peak: 0.4,
                    spread: 0.25,
                },
            ),
            (0.1, Comp::Sunrise { offset: 0.7, sd: 0.4 }),
        ],
        unmarked: 12,
        max_speed_kmh: 20.0,
        bouts_per_day: 3.0,
        steps: (0, 1),
        range_km: 1.5,
        p_detect: 0.7,
        bbox: (0.04, 0.04),
        travel_fw_s: (0.3, 0.6),
        pref: [1.0, 1.0, 1.0, 1.5, 3.0, 2.0, 1.5, 0.5],
        breeding: Some(Breeding {
            window: Window {
                from: (4, 1),
                to: (5, 31),
            },
            behaviours: &[B::Courtship],
            p: 0.15,
            note: "courtship feeding",
        }),
        young_from: None,
        rests: false,
        feeds_anywhere: true,
        nursing: false,
        play: false,
        marking: 0.0,
        group_min: 1,
        group_max: 2,
    },
    SpeciesSpec {
        code: "coyote",
        scientific: "Canis latrans",
        common: "coyote",
        plural: "coyotes",
        class: DielClass::Nocturnal,
        diel: &[
            (
                0.5,
                Comp::Night {
                    peak: 0.45,
                    spread: 0.3,
                },
            ),
            (0.2, Comp::Sunset { offset: 0.3, sd: 0.8 }),
            (0.2, Comp::Sunrise { offset: -0.2, sd: 0.8 }),
            (0.1, Comp::Day { peak: 0.5, spread: 0.3 }),
        ],
        unmarked: 7,
        max_speed_kmh: 8.0,
        bouts_per_day: 1.6,
        steps: (1, 3),
        range_km: 5.0,
        p_detect: 0.85,
        bbox: (0.14, 0.12),
        travel_fw_s: (0.15, 0.35),
        pref: [1.0, 1.0, 3.0, 1.0, 0.8, 1.5, 1.0, 2.0],
        breeding: Some(Breeding {
            window: Window {
                from: (1, 20),
                to: (3, 10),
            },
            behaviours: &[B::Courtship, B::Mating],
            p: 0.15,
            note: "mating season",
        }),
        young_from: Some((7, 1)),
        rests: false,
        feeds_anywhere: false,
        nursing: false,
        play: true,
        marking: 0.1,
        group_min: 1,
        group_max: 4,
    },
    SpeciesSpec {
        code: "bear",
        scientific: "Ursus americanus",
        common: "American black bear",
        plural: "black bears",
        class: DielClass::Cathemeral,
        diel: &[
            (0.6, Comp::Anytime),
            (0.2, Comp::Sunrise { offset: 1.0, sd: 1.5 }),
            (0.2, Comp::Sunset { offset: -1.0, sd: 1.5 }),
        ],
        unmarked: 3,
        max_speed_kmh: 5.0,
        bouts_per_day: 2.0,
        steps: (0, 2),
        range_km: 4.0,
        p_detect: 0.9,
        bbox: (0.22, 0.2),
        travel_fw_s: (0.1, 0.25),
        pref: [2.0, 2.0, 1.5, 5.0, 2.0, 1.0, 0.3, 0.3],
        breeding: Some(Breeding {
            window: Window {
                from: (6, 1),
                to: (7, 20),
            },
            behaviours: &[B::Courtship, B::Mating],
            p: 0.15,
            note: "breeding season: males follow females",
        }),
        young_from: Some((1, 1)),
        rests: true,
        feeds_anywhere: false,
        nursing: false,
        play: true,
        marking: 0.1,
        group_min: 1,
        group_max: 3,
    },
];

/// Samples a group: (adults, young).
pub(super) fn sample_group(sp: usize, rng: &mut ChaCha8Rng) -> (u32, u32) {
    let u: f64 = rng.random();
    match sp {
        DEER => {
            let adults = pick(rng, &[(1, 0.5), (2, 0.33), (3, 0.17)]);
            let young = if u < 0.5 { rng.random_range(1..=2) } else { 0 };
            (adults, young)
        }
        ELK => {
            if u < 0.3 {
                (rng.random_range(1..=3), 0) // bachelor bulls
            } else {
                let adults = rng.random_range(3..=11);
                let calves = binomial(rng, adults, 0.35);
                (adults, calves.min(15 - adults))
            }
        }
        FOX => (1, if u < 0.25 { rng.random_range(1..=2) } else { 0 }),
        RACCOON => (1, if u < 0.4 { rng.random_range(1..=3) } else { 0 }),
        SQUIRREL => (1, 0),
        TURKEY => {
            if u < 0.35 {
                (rng.random_range(1..=2), 0) // toms
            } else {
                let hens = rng.random_range(1..=2);
                (hens, rng.random_range(2..=8 - hens))
            }
        }
        JAY => (rng.random_range(1..=2), 0),
        COYOTE => (
            rng.random_range(1..=2),
            if u < 0.3 { rng.random_range(1..=2) } else { 0 },
        ),
        BEAR => (1, if u < 0.3 { rng.random_range(1..=2) } else { 0 }),
        _ => (1, 0),
    }
}

fn pick(rng: &mut ChaCha8Rng, options: &[(u32, f64)]) -> u32 {
    let weights: Vec<f64> = options.iter().map(|o| o.1).collect();
    options[weighted(rng, &weights)].0
}

/// What the animal is doing where, as far as behaviour rules need to know.
#[derive(Debug, Clone, Copy)]
pub(super) struct VisitContext {
    pub sp: usize,
    pub hab: Hab,
    /// The last camera of a bout: the animal stops here (feeds, drinks, rests).
    pub stop: bool,
    pub count: u32,
    pub young_visible: bool,
    pub breeding: bool,
}

/// Decides the true behaviour labels of a visit, dominant first.
pub(super) fn decide_behaviours(c: VisitContext, rng: &mut ChaCha8Rng) -> Vec<Behaviour> {
    let spec = &SPECIES[c.sp];
    let u: f64 = rng.random();
    let feeding_site = matches!(c.hab, Hab::Water | Hab::Meadow | Hab::Berries);
    let mut labels = Vec::with_capacity(3);
    let breeding = c.breeding && spec.breeding.is_some_and(|b| rng.random_bool(b.p));
    let primary = if breeding {
        let b = spec.breeding.expect("checked");
        if c.sp == ELK && c.hab == Hab::Water {
            B::Marking // wallowing
        } else {
            b.behaviours[rng.random_range(0..b.behaviours.len())]
        }
    } else if spec.feeds_anywhere {
        if u < 0.55 {
            if c.hab == Hab::Water && rng.random_bool(0.4) {
                B::Drinking
            } else {
                B::Feeding
            }
        } else if u < 0.8 {
            B::Travelling
        } else {
            B::Vigilance
        }
    } else if c.stop {
        match c.hab {
            Hab::Water => {
                if u < 0.6 {
                    B::Drinking
                } else if u < 0.9 {
                    B::Feeding
                } else {
                    B::Vigilance
                }
            }
            Hab::Meadow | Hab::Berries => {
                if u < 0.72 {
                    B::Feeding
                } else if u < 0.82 && spec.rests {
                    B::Resting
                } else if u < 0.92 {
                    B::Vigilance
                } else {
                    B::Travelling
                }
            }
            Hab::Trailhead | Hab::Road => {
                if u < 0.75 {
                    B::Travelling
                } else {
                    B::Vigilance
                }
            }
            Hab::Creek | Hab::Forest | Hab::Ridge => {
                if spec.rests && u < 0.35 {
                    B::Resting
                } else if u < 0.65 {
                    B::Feeding
                } else if u < 0.8 {
                    B::Vigilance
                } else {
                    B::Travelling
                }
            }
        }
    } else if feeding_site && u < 0.35 {
        if c.hab == Hab::Water && rng.random_bool(0.5) {
            B::Drinking
        } else {
            B::Feeding
        }
    } else if rng.random_bool(0.05) {
        B::Running
    } else {
        B::Travelling
    };
    labels.push(primary);
    let moving = matches!(primary, B::Travelling | B::Running);
    if moving && c.count >= 3 {
        labels.push(B::GroupMovement);
    }
    if c.young_visible
        && spec.nursing
        && matches!(primary, B::Feeding | B::Resting | B::Vigilance)
        && rng.random_bool(0.25)
    {
        labels.push(B::Nursing);
    }
    if c.young_visible && spec.play && !moving && rng.random_bool(0.2) {
        labels.push(B::Play);
    }
    if matches!(primary, B::Feeding | B::Drinking) && rng.random_bool(0.3) {
        labels.push(B::Vigilance);
    }
    if spec.marking > 0.0 && primary != B::Marking && rng.random_bool(spec.marking) {
        labels.push(B::Marking);
    }
    if primary == B::Resting && rng.random_bool(0.2) {
        labels.push(B::Grooming);
    }
    labels
}

/// How a visit looks on camera: frames, spacing and movement across the frame.
#[derive(Debug, Clone, Copy)]
pub(super) struct FramePlan {
    pub frames: u32,
    pub gap_ms: i64,
    /// Speed across the frame, frame-widths per second.
    pub speed: f64,
    /// Moving in a direction (along the corridor) rather than milling about.
    pub directed: bool,
}

impl FramePlan {
    pub(super) fn duration_ms(&self) -> i64 {
        i64::from(self.frames.saturating_sub(1)) * self.gap_ms
    }
}

/// Plans the frames of a visit from its dominant behaviour (and the species' size, so a
/// travelling animal stays in the frame for every frame of the burst).
pub(super) fn plan_frames(
    primary: Option<Behaviour>,
    bbox_w: f64,
    travel: (f64, f64),
    rng: &mut ChaCha8Rng,
) -> FramePlan {
    let secs = |rng: &mut ChaCha8Rng, lo: i64, hi: i64| rng.random_range(lo..=hi) * 1000;
    let milling = |rng: &mut ChaCha8Rng, frames: u32, gap_ms: i64, max_disp: f64| {
        let t = (f64::from(frames - 1) * gap_ms as f64 / 1000.0).max(1.0);
        FramePlan {
            frames,
            gap_ms,
            speed: rng.random_range(0.0..max_disp) / t,
            directed: false,
        }
    };
    let plan = match primary {
        Some(B::Travelling | B::GroupMovement) | None => {
            let frames = pick(rng, &[(1, 0.05), (2, 0.15), (3, 0.55), (4, 0.12), (5, 0.13)]);
            let gap_ms = if rng.random_bool(0.15) { 2000 } else { 1000 };
            FramePlan {
                frames,
                gap_ms,
                speed: rng.random_range(travel.0..travel.1),
                directed: true,
            }
        }
        Some(B::Running) => FramePlan {
            frames: pick(rng, &[(1, 0.2), (2, 0.5), (3, 0.3)]),
            gap_ms: 1000,
            speed: rng.random_range(travel.1 * 1.8..travel.1 * 3.0),
            directed: true,
        },
        Some(B::Feeding | B::Drinking | B::Nursing) => {
            let frames = rng.random_range(3..=5);
            let gap = secs(rng, 20, 90);
            milling(rng, frames, gap, 0.2)
        }
        Some(B::Resting | B::Grooming) => {
            let frames = rng.random_range(3..=5);
            let gap = secs(rng, 60, 300);
            milling(rng, frames, gap, 0.03)
        }
        Some(B::Vigilance) => {
            let frames = rng.random_range(2..=4);
            let gap = secs(rng, 2, 8);
            milling(rng, frames, gap, 0.05)
        }
        Some(B::Courtship | B::Mating | B::Fighting | B::Play) => {
            let frames = rng.random_range(4..=5);
            let gap = secs(rng, 3, 15);
            milling(rng, frames, gap, 0.4)
        }
        Some(B::Marking) => {
            let frames = rng.random_range(2..=4);
            let gap = secs(rng, 2, 6);
            milling(rng, frames, gap, 0.15)
        }
    };
    // A directed animal must stay in view for the whole burst: fewer frames if it is fast.
    let room = (1.0 - bbox_w * 1.45 - 0.04).max(0.05);
    let mut plan = plan;
    while plan.directed && plan.frames > 1 && plan.speed * plan.duration_ms() as f64 / 1000.0 > room {
        plan.frames -= 1;
    }
    plan
}

/// A standard normal deviate (Box-Muller).
pub(super) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson deviate (Knuth's product method for small means, normal approximation above 30).
pub(super) fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let limit = (-lambda).exp();
    let mut k = 0u32;
    let mut p: f64 = rng.random();
    while p > limit {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}

/// A binomial deviate by counting successes (n is small here).
pub(super) fn binomial(rng: &mut ChaCha8Rng, n: u32, p: f64) -> u32 {
    (0..n).filter(|_| rng.random_bool(p.clamp(0.0, 1.0))).count() as u32
}

/// An index drawn with probability proportional to `weights` (all >= 0, some > 0).
pub(super) fn weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return rng.random_range(0..weights.len());
    }
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// A normal(mean, sd) deviate truncated to 0..1 (resampled; uniform after 20 misses).
pub(super) fn unit_normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    for _ in 0..20 {
        let x = mean + sd * normal(rng);
        if (0.0..=1.0).contains(&x) {
            return x;
        }
    }
    rng.random()
}
