//! Event segmenter: joins the tracks of one camera into events.
//!
//! Tracks sorted by start are joined into one event while each begins less than `gap_s`
//! after the event so far ended. An event spans its tracks; its count is the largest number
//! of tracks seen on one frame (the usual "maximum simultaneous count" of camera-trap
//! studies), and its best frame is the frame of its highest-scoring box. As SORT confirms a
//! track only after a few hits, a track shorter than [`CONFIRMED_POINTS`] boxes (a
//! compression artefact boxed for a frame or two beside a real animal) does not count when
//! the event has a longer one; an event of short tracks only (a photo burst) counts them all.

use crate::tracker::{TrackPoint, TrackResult};
use std::collections::BTreeMap;
use trailmesh_core::model::Timestamp;

/// One event: the tracks it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct EventGroup {
    /// Tracks, in start order.
    pub tracks: Vec<TrackResult>,
    /// First frame time.
    pub start: Timestamp,
    /// Last frame time.
    pub end: Timestamp,
    /// Most tracks seen on one frame.
    pub max_count: usize,
}

impl EventGroup {
    /// The highest-scoring box of the event.
    pub fn best(&self) -> Option<&TrackPoint> {
        self.tracks
            .iter()
            .filter_map(TrackResult::best)
            .max_by(|a, b| a.bbox.score.total_cmp(&b.bbox.score))
    }
}

/// Boxes a track needs to count towards an event's number of animals, when the event has such
/// a track.
pub const CONFIRMED_POINTS: usize = 3;

/// Groups tracks (of one camera) into events separated by gaps of at least `gap_s` seconds.
pub fn segment(mut tracks: Vec<TrackResult>, gap_s: f64) -> Vec<EventGroup> {
    tracks.retain(|t| !t.points.is_empty());
    tracks.sort_by_key(|t| (t.start(), t.id));
    let gap_ms = (gap_s * 1000.0) as i64;
    let mut events: Vec<EventGroup> = Vec::new();
    for t in tracks {
        match events.last_mut() {
            Some(e) if (t.start() - e.end).num_milliseconds() < gap_ms => {
                e.end = e.end.max(t.end());
                e.tracks.push(t);
            }
            _ => events.push(EventGroup {
                start: t.start(),
                end: t.end(),
                max_count: 0,
                tracks: vec![t],
            }),
        }
    }
    for e in &mut events {
        let confirmed = e.tracks.iter().any(|t| t.points.len() >= CONFIRMED_POINTS);
        let mut per_frame: BTreeMap<(Timestamp, i64), usize> = BTreeMap::new();
        for t in &e.tracks {
            if confirmed && t.points.len() < CONFIRMED_POINTS {
                continue;
            }
            for p in &t.points {
                *per_frame.entry((p.time, p.frame)).or_default() += 1;
            }
        }
        e.max_count = per_frame.values().copied().max().unwrap_or(0);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::PixelBox;
    use trailmesh_core::model::from_ms;

    fn track(id: u64, start_s: i64, frames: i64, score: f32) -> TrackResult {
        TrackResult {
            id,
            points: (0..frames)
                .map(|i| TrackPoint {
                    time: from_ms((start_s + i) * 1000),
                    frame: start_s + i,
                    bbox: PixelBox {
                        x0: 0.0,
                        y0: 0.0,
                        x1: 10.0,
                        y1: 10.0,
                        score,
                    },
                    width: 100,
                    height: 100,
                })
                .collect(),
        }
    }

    #[test]
    fn tracks_closer_than_the_gap_make_one_event() {
        let events = segment(
            vec![
                track(1, 0, 10, 0.5),
                track(2, 5, 10, 0.9),
                track(3, 40, 5, 0.6),
                track(4, 200, 3, 0.7),
            ],
            60.0,
        );
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].tracks.len(), 3);
        assert_eq!(events[0].start, from_ms(0));
        assert_eq!(events[0].end, from_ms(44_000));
        assert_eq!(events[0].max_count, 2, "tracks 1 and 2 overlap on frames 5..9");
        assert_eq!(events[0].best().unwrap().bbox.score, 0.9);
        assert_eq!(events[1].max_count, 1);
    }

    #[test]
    fn a_fragment_beside_a_confirmed_track_is_not_a_second_animal() {
        // A horse tracked for 20 frames, and a box that lived two frames beside it.
        let events = segment(vec![track(1, 0, 20, 0.8), track(2, 5, 2, 0.5)], 60.0);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].tracks.len(), 2, "the fragment stays part of the event");
        assert_eq!(events[0].max_count, 1);
        // Three frames is a confirmed second animal.
        let events = segment(vec![track(1, 0, 20, 0.8), track(2, 5, 3, 0.5)], 60.0);
        assert_eq!(events[0].max_count, 2);
        // A photo burst (one box per track) counts every box.
        let events = segment(vec![track(1, 0, 1, 0.8), track(2, 0, 1, 0.5)], 60.0);
        assert_eq!(events[0].max_count, 2);
    }
}
