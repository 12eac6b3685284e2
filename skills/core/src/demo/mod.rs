//! Demo data: a deterministic synthetic camera-trap study, with its ground truth.
//!
//! [`generate`] simulates a summer camera-trap study in a (synthetic) valley of the Rocky
//! Mountain foothills south of Bozeman, Montana (about 45.6 N, 111.0 W; camera clocks on
//! UTC-06:00): 17 cameras along Cedar Creek, a forested ridge, aspen meadows, a berry patch,
//! a spring seep and an elk wallow, a trailhead and a forest-road gate, joined by a graph of
//! corridors (creek, game trails, ridge trail). Over the study window (default 75 days from
//! 2026-06-01) it simulates, day by day:
//!
//! - animal groups of nine species walking the corridor graph in activity bouts drawn from
//!   each species' true diel rhythm **in solar time** at the camera ([`crate::solar`]):
//!   crepuscular mule deer and elk, nocturnal red fox, raccoon and coyote, diurnal red
//!   squirrel, wild turkey and Steller's jay, cathemeral black bear; habitat preferences
//!   (raccoons at the creek and water, squirrels in the timber, turkeys in the meadows);
//!   transit times of distance / speed; group sizes (elk herds up to 15, turkey flocks up
//!   to 8, young of the year from their season on);
//! - nine marked individuals (`bear-F1`, `bear-M1`, `elk-F12`, `elk-M3`, `deer-F2`,
//!   `deer-F5`, `deer-M1`, `raccoon-R1`, `coyote-C1`) whose events carry an individual id;
//!   `raccoon-R1` walks creek -> spring -> creek every night, `deer-F5` commutes between a
//!   spring and the meadow at dawn and dusk;
//! - an elk migration wave moving up the valley (bearing 15 degrees) so that the median elk
//!   date at each camera increases with its position along the axis;
//! - behaviours (feeding and drinking at meadows and water, travelling on trails, resting,
//!   vigilance, group movement of herds, nursing and play with young, scent marking, and
//!   courtship / mating inside each species' breeding window), with tracks whose heading
//!   and speed across the frame follow the direction and pace of movement;
//! - hikers at the trailhead (more at weekends), a vehicle at the road gate now and then,
//!   false triggers (wind in the vegetation), deployments that start late or end early
//!   (one stolen camera, one knocked over by a bear and re-set as a new deployment) and
//!   malfunction windows (dead battery, fogged lens, knocked over, full card) with no events
//!   inside them.
//!
//! Every recorded visit becomes an [`Event`](crate::model::Event) with 1-5 media, one track
//! per animal and one detection per animal per frame. The [`GroundTruth`] records what the
//! simulation decided (never recomputed from the batch), so tests of the skills and of chat
//! can check their answers against it.
//!
//! Same [`DemoConfig`] => identical output, bit for bit (one ChaCha8 stream, no hash-map
//! iteration order in anything that shapes output). Identifiers are stable (`CREEK-01`,
//! `dep-CREEK-01-1`, `evt-000123`, `med-CREEK-01-000042`, `evt-000123-t1`,
//! `med-CREEK-01-000042-d1`), so seeding the same study twice adds nothing the second time.
//!
//! At scale 1 the study has about 25-30 thousand events; `scale` multiplies the number of
//! animal groups, hence the events, about linearly. Large studies are produced in chunks of
//! days ([`generate_chunked`]); [`seed`] writes chunk by chunk, so a million events do not
//! need to sit in memory at once.

mod landscape;
mod sim;
mod species;
mod truth;

pub use truth::*;

use crate::import::{ImportError, ImportSummary, InputError, Progress, commit, sha256_hex};
use crate::store::{Batch, IngestReport, Store, TableCount};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Name and version of the generator; part of the import hash, so a changed generator
/// does not silently collide with an older seeding.
pub const GENERATOR: &str = "trailmesh-demo/1";

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoConfig {
    /// Random seed: the same seed gives the same study.
    pub seed: u64,
    /// First day of the study (local date; default 2026-06-01).
    pub start: NaiveDate,
    /// Number of days (default 75; at least 1).
    pub days: u32,
    /// Activity multiplier: 1.0 is the standard study (tens of thousands of events);
    /// 40.0 gives about a million events for benchmarks.
    pub scale: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 42,
            start: NaiveDate::from_ymd_opt(2026, 6, 1).expect("valid date"),
            days: 75,
            scale: 1.0,
        }
    }
}

impl DemoConfig {
    /// The import source naming this study, e.g.
    /// `demo:seed=42,start=2026-06-01,days=75,scale=1`.
    pub fn source(&self) -> String {
        format!(
            "demo:seed={},start={},days={},scale={}",
            self.seed, self.start, self.days, self.scale
        )
    }

    /// Checks the values [`seed`] accepts (`generate` clamps instead: days to at least 1,
    /// scale to 0.01..10000).
    pub fn validate(&self) -> Result<(), String> {
        if self.days == 0 {
            return Err("days must be at least 1".to_string());
        }
        if !self.scale.is_finite() || self.scale <= 0.0 {
            return Err(format!("scale must be a positive number (got {})", self.scale));
        }
        if self.scale > 10_000.0 {
            return Err(format!("scale {} is too large (at most 10000)", self.scale));
        }
        Ok(())
    }

    /// Days simulated per chunk by [`generate_chunked`] and [`seed`] (the whole study at
    /// scale <= 1.2; two days at scale 40).
    pub fn chunk_days(&self) -> u32 {
        let scale = if self.scale.is_finite() {
            self.scale.clamp(0.01, 10_000.0)
        } else {
            1.0
        };
        ((90.0 / scale).floor() as u32).clamp(1, self.days.max(1))
    }
}

/// A generated study: all rows, and what really happened.
#[derive(Debug, Clone)]
pub struct DemoStudy {
    /// Everything to write.
    pub batch: Batch,
    /// The ground truth.
    pub truth: GroundTruth,
}

/// Generates the whole study in memory. Pure and deterministic: the same config gives
/// identical output.
pub fn generate(cfg: &DemoConfig) -> DemoStudy {
    let mut batch = Batch::default();
    let truth = generate_chunked(cfg, |chunk| append(&mut batch, chunk));
    DemoStudy { batch, truth }
}

/// Generates the study in chunks of [`DemoConfig::chunk_days`] days, handing each chunk's
/// rows to `sink` in order (the first chunk carries species, cameras, deployments and
/// malfunctions; later chunks only media, events, tracks and detections, each referring
/// only to rows of its own or earlier chunks). Returns the ground truth. The chunks
/// concatenated are exactly what [`generate`] returns.
pub fn generate_chunked(cfg: &DemoConfig, mut sink: impl FnMut(Batch)) -> GroundTruth {
    let mut sim = sim::Simulation::new(cfg);
    while let Some(chunk) = sim.next_chunk() {
        sink(chunk);
    }
    sim.finish()
}

/// Appends one batch to another.
fn append(into: &mut Batch, from: Batch) {
    into.species.extend(from.species);
    into.cameras.extend(from.cameras);
    into.deployments.extend(from.deployments);
    into.malfunctions.extend(from.malfunctions);
    into.media.extend(from.media);
    into.events.extend(from.events);
    into.tracks.extend(from.tracks);
    into.detections.extend(from.detections);
}

fn add_counts(total: &mut IngestReport, r: &IngestReport) {
    let add = |a: &mut TableCount, b: TableCount| {
        a.inserted += b.inserted;
        a.existing += b.existing;
    };
    add(&mut total.species, r.species);
    add(&mut total.cameras, r.cameras);
    add(&mut total.deployments, r.deployments);
    add(&mut total.malfunctions, r.malfunctions);
    add(&mut total.media, r.media);
    add(&mut total.events, r.events);
    add(&mut total.tracks, r.tracks);
    add(&mut total.detections, r.detections);
}

/// Opens the SQLite file at `path` and seeds the demo study `cfg` into it unless a completed
/// seeding is already there (benchmarks keep such files between runs). Returns the store and
/// whether it was seeded now.
pub async fn open_or_seed(path: &Path, cfg: &DemoConfig) -> Result<(Store, bool), ImportError> {
    let store = Store::open(&path.display().to_string()).await?;
    let fresh = store.imports().await?.is_empty();
    if fresh {
        seed(&store, cfg, &crate::import::NoProgress).await?;
    }
    Ok((store, fresh))
}

/// Generates the study and writes it to `store`, chunk by chunk (each chunk is one
/// transaction; the import record is written with the last one, so it exists only for a
/// completed seeding). Seeding the same config twice inserts nothing the second time.
/// Returns the combined import summary and the ground truth.
pub async fn seed(
    store: &Store,
    cfg: &DemoConfig,
    progress: &dyn Progress,
) -> Result<(ImportSummary, GroundTruth), ImportError> {
    let source = cfg.source();
    cfg.validate().map_err(|m| InputError::file(&source, m))?;
    let sha = sha256_hex(format!("{GENERATOR}|{source}").as_bytes());
    let mut sim = sim::Simulation::new(cfg);
    let mut report = IngestReport::default();
    let mut last_summary = None;
    progress.phase("generating and writing the demo study (days)", u64::from(cfg.days));
    while let Some(chunk) = sim.next_chunk() {
        if sim.done() {
            let summary = commit(
                store,
                "demo",
                Path::new(&source),
                sha.clone(),
                &chunk,
                Vec::new(),
                progress,
            )
            .await?;
            add_counts(&mut report, &summary.report);
            last_summary = Some(summary);
        } else {
            let r = store.ingest(&chunk, None).await?;
            add_counts(&mut report, &r);
            progress.advance(u64::from(sim.chunk_days()));
        }
    }
    let truth = sim.finish();
    let summary = match last_summary {
        Some(s) => ImportSummary { report, ..s },
        None => ImportSummary {
            kind: "demo".to_string(),
            source,
            report,
            warnings: Vec::new(),
        },
    };
    Ok((summary, truth))
}

#[cfg(test)]
mod tests {
    use super::landscape::{CAMS, CORRIDORS, adjacency, cam_index};
    use super::species::{SPECIES, normal, poisson, weighted};
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn corridor_graph_is_connected_and_names_real_cameras() {
        let adj = adjacency();
        let mut seen = vec![false; CAMS.len()];
        let mut stack = vec![0];
        while let Some(c) = stack.pop() {
            if !std::mem::replace(&mut seen[c], true) {
                stack.extend(adj[c].iter().map(|e| e.0));
            }
        }
        assert!(seen.iter().all(|s| *s), "every camera is reachable");
        for (a, b, _) in CORRIDORS {
            assert_ne!(cam_index(a), cam_index(b));
        }
        let ids: std::collections::BTreeSet<_> = CAMS.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), CAMS.len());
    }

    #[test]
    fn samplers_have_the_right_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{mean} {var}");
        for lambda in [0.45, 2.0, 4.0, 50.0] {
            let m = (0..n).map(|_| f64::from(poisson(&mut rng, lambda))).sum::<f64>() / n as f64;
            assert!(
                (m - lambda).abs() < 0.05 * lambda.max(1.0),
                "Poisson({lambda}) mean {m}"
            );
        }
        let mut counts = [0usize; 3];
        for _ in 0..n {
            counts[weighted(&mut rng, &[1.0, 0.0, 3.0])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((counts[2] as f64 / n as f64 - 0.75).abs() < 0.02);
    }

    #[test]
    fn species_tables_are_sane() {
        for s in SPECIES {
            let w: f64 = s.diel.iter().map(|d| d.0).sum();
            assert!((w - 1.0).abs() < 1e-9, "{} diel weights sum to {w}", s.scientific);
            assert!(s.steps.0 <= s.steps.1 && s.group_min <= s.group_max);
            assert!(s.p_detect > 0.0 && s.p_detect <= 1.0);
        }
    }

    #[test]
    fn tiny_and_odd_configs_generate_valid_studies() {
        for (days, scale) in [(1, 1.0), (2, 0.01), (5, 0.3), (9, 3.0)] {
            let cfg = DemoConfig {
                seed: 5,
                days,
                scale,
                ..DemoConfig::default()
            };
            let s = generate(&cfg);
            assert_eq!(s.batch.cameras.len(), CAMS.len());
            for d in &s.batch.deployments {
                assert!(d.start < d.end, "{d:?}");
            }
            for m in &s.batch.malfunctions {
                assert!(m.start < m.end, "{m:?}");
            }
            assert_eq!(s.truth.events.len(), s.batch.events.len());
        }
        // Invalid values are clamped by generate (and refused by seed).
        let s = generate(&DemoConfig {
            days: 0,
            scale: f64::NAN,
            ..DemoConfig::default()
        });
        assert!(!s.batch.deployments.is_empty());
        assert!(
            DemoConfig {
                scale: -1.0,
                ..DemoConfig::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn scale_multiplies_activity_about_linearly() {
        let events = |scale: f64| {
            let cfg = DemoConfig {
                days: 10,
                scale,
                ..DemoConfig::default()
            };
            generate(&cfg).truth.totals.animal_events as f64
        };
        let (one, three) = (events(1.0), events(3.0));
        let ratio = three / one;
        assert!((2.5..3.3).contains(&ratio), "scale 3 gives {ratio} times the events");
    }
}
