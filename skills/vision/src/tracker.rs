//! Tracker: follows each animal across the frames of one camera.
//!
//! SORT/ByteTrack style: each live track predicts its next box from its last velocity; boxes
//! are matched to predictions greedily by IoU (best pairs first), high-score boxes first and
//! then the low-score ones to the tracks still unmatched (ByteTrack's second pass, which keeps
//! a track through a frame where the animal is partly hidden). An unmatched high-score box
//! starts a track; a track unseen for `max_gap_s` ends.

use crate::config::TrackerConfig;
use crate::detector::PixelBox;
use trailmesh_core::model::Timestamp;

/// One box of a track.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPoint {
    /// Frame time.
    pub time: Timestamp,
    /// Index of the frame in its source (the frame number for videos).
    pub frame: i64,
    /// The box, in pixels of a `width` x `height` frame.
    pub bbox: PixelBox,
    /// Frame width, pixels.
    pub width: u32,
    /// Frame height, pixels.
    pub height: u32,
}

/// A finished (or still running) track.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackResult {
    /// Sequence number within this tracker.
    pub id: u64,
    /// Boxes in time order.
    pub points: Vec<TrackPoint>,
}

impl TrackResult {
    /// First frame time.
    pub fn start(&self) -> Timestamp {
        self.points.first().map(|p| p.time).unwrap_or_default()
    }

    /// Last frame time.
    pub fn end(&self) -> Timestamp {
        self.points.last().map(|p| p.time).unwrap_or_default()
    }

    /// Net movement of the box centre across the frame, in frame widths / heights:
    /// `(dx, dy)`, with y growing downwards.
    pub fn displacement(&self) -> (f64, f64) {
        let (Some(a), Some(b)) = (self.points.first(), self.points.last()) else {
            return (0.0, 0.0);
        };
        let (ax, ay) = a.bbox.center();
        let (bx, by) = b.bbox.center();
        (
            f64::from(bx - ax) / f64::from(a.width.max(1)),
            f64::from(by - ay) / f64::from(a.height.max(1)),
        )
    }

    /// Heading of the net movement, degrees clockwise from "up the frame" (0 = up/away,
    /// 90 = right, 180 = down/towards, 270 = left); `None` when it barely moved.
    pub fn heading_deg(&self) -> Option<f64> {
        let (dx, dy) = self.displacement();
        if dx.hypot(dy) < 0.02 {
            return None;
        }
        Some(dx.atan2(-dy).to_degrees().rem_euclid(360.0))
    }

    /// Mean speed of the box centre, frame widths per second; `None` for a single frame.
    pub fn speed(&self) -> Option<f64> {
        let secs = (self.end() - self.start()).num_milliseconds() as f64 / 1000.0;
        if secs <= 0.0 {
            return None;
        }
        let mut dist = 0.0;
        for w in self.points.windows(2) {
            let (ax, ay) = w[0].bbox.center();
            let (bx, by) = w[1].bbox.center();
            let scale = f64::from(w[0].width.max(1));
            dist += f64::from(bx - ax).hypot(f64::from(by - ay)) / scale;
        }
        Some(dist / secs)
    }

    /// The point with the highest score.
    pub fn best(&self) -> Option<&TrackPoint> {
        self.points.iter().max_by(|a, b| a.bbox.score.total_cmp(&b.bbox.score))
    }
}

#[derive(Debug, Clone)]
struct Live {
    track: TrackResult,
    velocity: (f32, f32),
}

impl Live {
    fn predicted(&self, time: Timestamp) -> PixelBox {
        let last = self.track.points.last().expect("a live track has a point");
        let mut b = last.bbox;
        let steps = self.steps_since(time);
        b.x0 += self.velocity.0 * steps;
        b.x1 += self.velocity.0 * steps;
        b.y0 += self.velocity.1 * steps;
        b.y1 += self.velocity.1 * steps;
        b
    }

    /// Frames elapsed since the last point, measured in the track's own frame interval.
    fn steps_since(&self, time: Timestamp) -> f32 {
        let pts = &self.track.points;
        let last = pts[pts.len() - 1].time;
        if pts.len() < 2 {
            return 1.0;
        }
        let interval = (last - pts[pts.len() - 2].time).num_milliseconds().max(1) as f32;
        ((time - last).num_milliseconds() as f32 / interval).max(1.0)
    }
}

/// IoU tracker for one camera.
#[derive(Debug, Clone)]
pub struct Tracker {
    cfg: TrackerConfig,
    live: Vec<Live>,
    done: Vec<TrackResult>,
    next_id: u64,
}

impl Tracker {
    /// A tracker with no tracks.
    pub fn new(cfg: TrackerConfig) -> Self {
        Tracker {
            cfg,
            live: Vec::new(),
            done: Vec::new(),
            next_id: 1,
        }
    }

    /// Feeds one frame's boxes (frames must come in time order). Returns, for each box, the
    /// id of the track it joined (`None` for a low-score box that matched nothing).
    pub fn update(
        &mut self,
        time: Timestamp,
        frame: i64,
        width: u32,
        height: u32,
        boxes: &[PixelBox],
    ) -> Vec<Option<u64>> {
        let max_gap_ms = (self.cfg.max_gap_s * 1000.0) as i64;
        let (ended, live): (Vec<Live>, Vec<Live>) = std::mem::take(&mut self.live)
            .into_iter()
            .partition(|l| (time - l.track.end()).num_milliseconds() > max_gap_ms);
        self.done.extend(ended.into_iter().map(|l| l.track));
        self.live = live;

        let mut assigned: Vec<Option<u64>> = vec![None; boxes.len()];
        let mut track_taken = vec![false; self.live.len()];
        let predictions: Vec<PixelBox> = self.live.iter().map(|l| l.predicted(time)).collect();
        for high in [true, false] {
            let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
            for (bi, b) in boxes.iter().enumerate() {
                if assigned[bi].is_some() || (b.score >= self.cfg.high_score) != high {
                    continue;
                }
                for (ti, p) in predictions.iter().enumerate() {
                    if track_taken[ti] {
                        continue;
                    }
                    let iou = p.iou(b);
                    if iou >= self.cfg.iou {
                        pairs.push((iou, bi, ti));
                    }
                }
            }
            pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, bi, ti) in pairs {
                if assigned[bi].is_some() || track_taken[ti] {
                    continue;
                }
                track_taken[ti] = true;
                let live = &mut self.live[ti];
                let last = live.track.points.last().expect("point").bbox;
                let steps = live.steps_since(time);
                let (lx, ly) = last.center();
                let (nx, ny) = boxes[bi].center();
                live.velocity = ((nx - lx) / steps, (ny - ly) / steps);
                live.track.points.push(TrackPoint {
                    time,
                    frame,
                    bbox: boxes[bi],
                    width,
                    height,
                });
                assigned[bi] = Some(live.track.id);
            }
        }
        for (bi, b) in boxes.iter().enumerate() {
            if assigned[bi].is_none() && b.score >= self.cfg.high_score {
                let id = self.next_id;
                self.next_id += 1;
                self.live.push(Live {
                    track: TrackResult {
                        id,
                        points: vec![TrackPoint {
                            time,
                            frame,
                            bbox: *b,
                            width,
                            height,
                        }],
                    },
                    velocity: (0.0, 0.0),
                });
                assigned[bi] = Some(id);
            }
        }
        assigned
    }

    /// Ends every track and returns all tracks, finished ones first, each in time order.
    pub fn finish(mut self) -> Vec<TrackResult> {
        self.done.extend(self.live.into_iter().map(|l| l.track));
        self.done.sort_by_key(|t| (t.start(), t.id));
        self.done
    }

    /// Number of tracks currently alive.
    pub fn live_count(&self) -> usize {
        self.live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailmesh_core::model::from_ms;

    fn b(x: f32, y: f32, score: f32) -> PixelBox {
        PixelBox {
            x0: x,
            y0: y,
            x1: x + 100.0,
            y1: y + 60.0,
            score,
        }
    }

    #[test]
    fn two_animals_crossing_in_opposite_directions_keep_their_tracks() {
        let mut t = Tracker::new(TrackerConfig::default());
        for i in 0..10 {
            let time = from_ms(i * 200);
            let x = i as f32 * 30.0;
            t.update(time, i, 1000, 500, &[b(x, 100.0, 0.8), b(900.0 - x, 300.0, 0.7)]);
        }
        let tracks = t.finish();
        assert_eq!(tracks.len(), 2, "{tracks:?}");
        for tr in &tracks {
            assert_eq!(tr.points.len(), 10);
        }
        let right = tracks.iter().find(|t| t.points[0].bbox.y0 == 100.0).unwrap();
        let left = tracks.iter().find(|t| t.points[0].bbox.y0 == 300.0).unwrap();
        assert!((right.heading_deg().unwrap() - 90.0).abs() < 1.0);
        assert!((left.heading_deg().unwrap() - 270.0).abs() < 1.0);
        // 270 px in 1.8 s on a 1000 px frame: 0.15 frame widths per second.
        assert!((right.speed().unwrap() - 0.15).abs() < 1e-3, "{:?}", right.speed());
    }

    #[test]
    fn a_low_score_frame_extends_a_track_and_a_long_gap_ends_it() {
        let mut t = Tracker::new(TrackerConfig::default());
        t.update(from_ms(0), 0, 1000, 500, &[b(0.0, 0.0, 0.9)]);
        let ids = t.update(from_ms(200), 1, 1000, 500, &[b(10.0, 0.0, 0.3)]);
        assert_eq!(ids, vec![Some(1)], "the weak box continues track 1");
        let ids = t.update(from_ms(400), 2, 1000, 500, &[b(600.0, 300.0, 0.3)]);
        assert_eq!(ids, vec![None], "a weak box far away starts nothing");
        t.update(from_ms(60_000), 3, 1000, 500, &[b(20.0, 0.0, 0.9)]);
        let tracks = t.finish();
        assert_eq!(tracks.len(), 2, "the gap ended track 1: {tracks:?}");
        assert_eq!(tracks[0].points.len(), 2);
    }
}
