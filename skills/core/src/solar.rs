//! Sunrise, sunset, solar noon and civil twilight for a place and date, in UTC.
//!
//! The formulas are NOAA's solar position algorithm: the NOAA Global Monitoring Laboratory
//! "Solar Calculator" (<https://gml.noaa.gov/grad/solcalc/>) and its spreadsheet
//! `NOAA_Solar_Calculations_day.xls`, which in turn follow Jean Meeus, *Astronomical
//! Algorithms* (2nd ed., 1998), chapters 25 (solar coordinates, low accuracy) and 28
//! (equation of time). NOAA gives the sunrise and sunset results as theoretically accurate
//! to within a minute between +/-72 degrees latitude (within ten minutes nearer the poles),
//! far better than camera-trap ecology needs ("nocturnal" means after sunset, not after
//! 20:00).
//!
//! Conventions, as NOAA's:
//! - latitude in degrees north (negative south), longitude in degrees **east** (negative
//!   west, so Montana is about -111);
//! - sunrise and sunset are when the sun's centre is 0.833 degrees below the geometric
//!   horizon (34' of refraction plus 16' of solar radius): zenith 90.833 degrees;
//! - civil twilight begins / ends with the centre 6 degrees below the horizon (zenith 96);
//! - the *date* of [`sun_times`] is the local date at the place: the day whose solar noon
//!   falls on that calendar date in local mean time. The UTC instants returned may lie on
//!   the UTC date before or after (a Montana sunset is at about 03:00 UTC next day).
//!
//! Near the poles the sun may not cross the horizon at all on a date: [`RiseSet`] says
//! which (midnight sun or polar night) instead of returning a made-up time.
//!
//! ```
//! use chrono::{Duration, NaiveDate};
//! use trailmesh_core::solar::{SolarPhase, solar_phase, sun_times};
//!
//! // Bozeman, Montana, at the June solstice: sunrise 05:34:45 MDT = 11:34:45 UTC.
//! let (lat, lon) = (45.677, -111.043);
//! let day = sun_times(NaiveDate::from_ymd_opt(2026, 6, 21).unwrap(), lat, lon);
//! let sunrise = day.sunrise().unwrap();
//! assert_eq!(sunrise.format("%H:%M").to_string(), "11:34");
//! assert_eq!(solar_phase(sunrise - Duration::minutes(20), lat, lon), SolarPhase::Dawn);
//! assert_eq!(solar_phase(sunrise + Duration::minutes(20), lat, lon), SolarPhase::Day);
//! ```

use crate::model::Timestamp;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Zenith angle of the sun's centre at sunrise and sunset (degrees): 90 degrees plus 34'
/// of standard refraction and 16' of semi-diameter.
pub const SUNRISE_ZENITH_DEG: f64 = 90.833;

/// Zenith angle of the sun's centre at the start of civil dawn and the end of civil dusk.
pub const CIVIL_TWILIGHT_ZENITH_DEG: f64 = 96.0;

/// Solar elevation (degrees, geometric) at sunrise and sunset: `90 - SUNRISE_ZENITH_DEG`.
pub const SUNRISE_ELEVATION_DEG: f64 = 90.0 - SUNRISE_ZENITH_DEG;

/// Solar elevation (degrees) at the start of civil dawn / end of civil dusk.
pub const CIVIL_TWILIGHT_ELEVATION_DEG: f64 = 90.0 - CIVIL_TWILIGHT_ZENITH_DEG;

/// Whether and when the sun crosses a given altitude on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum RiseSet {
    /// The sun rises through the altitude at `rise` and sets through it at `set`.
    Normal {
        /// Morning crossing (sunrise, or civil dawn).
        rise: Timestamp,
        /// Evening crossing (sunset, or civil dusk).
        set: Timestamp,
    },
    /// The sun stays above the altitude all day (midnight sun, or white night for civil
    /// twilight).
    AlwaysAbove,
    /// The sun stays below the altitude all day (polar night).
    AlwaysBelow,
}

impl RiseSet {
    /// The morning crossing, if any.
    pub fn rise(&self) -> Option<Timestamp> {
        match self {
            RiseSet::Normal { rise, .. } => Some(*rise),
            _ => None,
        }
    }

    /// The evening crossing, if any.
    pub fn set(&self) -> Option<Timestamp> {
        match self {
            RiseSet::Normal { set, .. } => Some(*set),
            _ => None,
        }
    }

    /// Hours between the crossings: 24 when always above, 0 when always below.
    pub fn hours_above(&self) -> f64 {
        match self {
            RiseSet::Normal { rise, set } => (*set - *rise).num_milliseconds() as f64 / 3_600_000.0,
            RiseSet::AlwaysAbove => 24.0,
            RiseSet::AlwaysBelow => 0.0,
        }
    }
}

/// The sun's day at one place and date.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SunTimes {
    /// The local date these times are for.
    pub date: NaiveDate,
    /// Latitude, degrees north.
    pub latitude: f64,
    /// Longitude, degrees east.
    pub longitude: f64,
    /// When the sun crosses the meridian (highest point), UTC.
    pub solar_noon: Timestamp,
    /// Sunrise and sunset (zenith 90.833 degrees).
    pub sun: RiseSet,
    /// Civil dawn and dusk (zenith 96 degrees).
    pub civil: RiseSet,
}

impl SunTimes {
    /// Sunrise, if the sun rises on this date.
    pub fn sunrise(&self) -> Option<Timestamp> {
        self.sun.rise()
    }

    /// Sunset, if the sun sets on this date.
    pub fn sunset(&self) -> Option<Timestamp> {
        self.sun.set()
    }

    /// Start of civil dawn, if it happens on this date.
    pub fn civil_dawn(&self) -> Option<Timestamp> {
        self.civil.rise()
    }

    /// End of civil dusk, if it happens on this date.
    pub fn civil_dusk(&self) -> Option<Timestamp> {
        self.civil.set()
    }

    /// Day length in hours (sunrise to sunset; 24 for midnight sun, 0 for polar night).
    pub fn day_length_hours(&self) -> f64 {
        self.sun.hours_above()
    }
}

/// Where the sun is in its daily cycle at an instant and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SolarPhase {
    /// Sun more than 6 degrees below the horizon (darker than civil twilight).
    Night,
    /// Morning civil twilight: from civil dawn to sunrise.
    Dawn,
    /// Sun up: between sunrise and sunset.
    Day,
    /// Evening civil twilight: from sunset to the end of civil dusk.
    Dusk,
}

impl SolarPhase {
    /// True for [`SolarPhase::Day`].
    pub fn is_day(self) -> bool {
        self == SolarPhase::Day
    }

    /// True for everything between sunset and sunrise (dusk, night, dawn).
    pub fn is_dark(self) -> bool {
        self != SolarPhase::Day
    }
}

/// What NOAA's algorithm needs from the sun's position at one instant.
#[derive(Debug, Clone, Copy)]
struct SolarGeometry {
    /// Apparent declination, degrees.
    declination_deg: f64,
    /// Equation of time, minutes (apparent minus mean solar time).
    equation_of_time_min: f64,
}

/// Julian Day of an instant (UT; the difference to TT, about a minute, is far below the
/// accuracy of these formulas).
fn julian_day(t: Timestamp) -> f64 {
    t.timestamp_millis() as f64 / 86_400_000.0 + 2_440_587.5
}

/// NOAA's formulas (spreadsheet columns G..V), Meeus ch. 25 and 28.
fn geometry(t: Timestamp) -> SolarGeometry {
    let jc = (julian_day(t) - 2_451_545.0) / 36_525.0; // Julian century
    // Geometric mean longitude and anomaly of the sun, degrees.
    let l0 = (280.46646 + jc * (36000.76983 + jc * 0.0003032)).rem_euclid(360.0);
    let m = 357.52911 + jc * (35999.05029 - 0.0001537 * jc);
    let e = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc); // orbit eccentricity
    let mr = m.to_radians();
    let center = mr.sin() * (1.914602 - jc * (0.004817 + 0.000014 * jc))
        + (2.0 * mr).sin() * (0.019993 - 0.000101 * jc)
        + (3.0 * mr).sin() * 0.000289;
    let true_long = l0 + center;
    let omega = (125.04 - 1934.136 * jc).to_radians();
    let apparent_long = true_long - 0.00569 - 0.00478 * omega.sin();
    let mean_obliquity = 23.0 + (26.0 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60.0) / 60.0;
    let obliquity = mean_obliquity + 0.00256 * omega.cos();
    let declination = (obliquity.to_radians().sin() * apparent_long.to_radians().sin()).asin();
    let y = (obliquity.to_radians() / 2.0).tan().powi(2);
    let l0r = l0.to_radians();
    let eot = y * (2.0 * l0r).sin() - 2.0 * e * mr.sin() + 4.0 * e * y * mr.sin() * (2.0 * l0r).cos()
        - 0.5 * y * y * (4.0 * l0r).sin()
        - 1.25 * e * e * (2.0 * mr).sin();
    SolarGeometry {
        declination_deg: declination.to_degrees(),
        equation_of_time_min: 4.0 * eot.to_degrees(),
    }
}

/// The sun's apparent declination at an instant, degrees.
pub fn declination(t: Timestamp) -> f64 {
    geometry(t).declination_deg
}

/// The equation of time at an instant, minutes (apparent solar time minus mean solar time).
pub fn equation_of_time(t: Timestamp) -> f64 {
    geometry(t).equation_of_time_min
}

/// The sun's geometric elevation above the horizon at an instant and place, degrees
/// (no refraction correction; compare with [`SUNRISE_ELEVATION_DEG`], which includes it).
pub fn solar_elevation(t: Timestamp, lat: f64, lon: f64) -> f64 {
    let g = geometry(t);
    let hour_angle = hour_angle_at(t, lon, g.equation_of_time_min);
    let (lat_r, dec_r) = (lat.to_radians(), g.declination_deg.to_radians());
    let cos_zenith = lat_r.sin() * dec_r.sin() + lat_r.cos() * dec_r.cos() * hour_angle.to_radians().cos();
    90.0 - cos_zenith.clamp(-1.0, 1.0).acos().to_degrees()
}

/// Hour angle of the sun, degrees in -180..180 (negative before solar noon).
fn hour_angle_at(t: Timestamp, lon: f64, eot_min: f64) -> f64 {
    let ms_of_day = t.timestamp_millis().rem_euclid(86_400_000) as f64;
    let true_solar_min = (ms_of_day / 60_000.0 + eot_min + 4.0 * lon).rem_euclid(1440.0);
    let ha = true_solar_min / 4.0 - 180.0;
    if ha < -180.0 { ha + 360.0 } else { ha }
}

/// UTC midnight starting `date`.
fn utc_midnight(date: NaiveDate) -> Timestamp {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

fn plus_minutes(base: Timestamp, minutes: f64) -> Timestamp {
    base + Duration::milliseconds((minutes * 60_000.0).round() as i64)
}

/// Solar noon (the sun on the meridian) at a place on a local date, UTC.
pub fn solar_noon(date: NaiveDate, lat: f64, lon: f64) -> Timestamp {
    let _ = lat; // solar noon does not depend on latitude
    let midnight = utc_midnight(date);
    // Start from mean noon at this longitude, then correct by the equation of time
    // evaluated at (nearly) the answer; two rounds converge to well under a second.
    let mut t = plus_minutes(midnight, 720.0 - 4.0 * lon);
    for _ in 0..2 {
        let eot = geometry(t).equation_of_time_min;
        t = plus_minutes(midnight, 720.0 - 4.0 * lon - eot);
    }
    t
}

/// Morning and evening crossings of the sun's centre through zenith angle `zenith_deg` on a
/// local date (NOAA `calcSunriseSetUTC`, iterated as NOAA's calculator does: the position is
/// recomputed at the estimated time of the crossing itself).
pub fn crossings(date: NaiveDate, lat: f64, lon: f64, zenith_deg: f64) -> RiseSet {
    let midnight = utc_midnight(date);
    let noon = solar_noon(date, lat, lon);
    let cross = |rising: bool| -> Result<Timestamp, RiseSet> {
        let mut t = noon;
        for _ in 0..4 {
            let g = geometry(t);
            let (lat_r, dec_r) = (lat.to_radians(), g.declination_deg.to_radians());
            let cos_ha = zenith_deg.to_radians().cos() / (lat_r.cos() * dec_r.cos()) - lat_r.tan() * dec_r.tan();
            if cos_ha > 1.0 {
                return Err(RiseSet::AlwaysBelow);
            }
            if cos_ha < -1.0 {
                return Err(RiseSet::AlwaysAbove);
            }
            let ha = cos_ha.acos().to_degrees();
            let delta = if rising { lon + ha } else { lon - ha };
            t = plus_minutes(midnight, 720.0 - 4.0 * delta - g.equation_of_time_min);
        }
        Ok(t)
    };
    match (cross(true), cross(false)) {
        (Ok(rise), Ok(set)) => RiseSet::Normal { rise, set },
        (Err(polar), _) | (_, Err(polar)) => polar,
    }
}

/// Sunrise and sunset at a place on a local date (see the module docs for the date rule).
pub fn sunrise_sunset(date: NaiveDate, lat: f64, lon: f64) -> RiseSet {
    crossings(date, lat, lon, SUNRISE_ZENITH_DEG)
}

/// Civil dawn and dusk at a place on a local date.
pub fn civil_twilight(date: NaiveDate, lat: f64, lon: f64) -> RiseSet {
    crossings(date, lat, lon, CIVIL_TWILIGHT_ZENITH_DEG)
}

/// Solar noon, sunrise / sunset and civil twilight at a place on a local date.
pub fn sun_times(date: NaiveDate, lat: f64, lon: f64) -> SunTimes {
    SunTimes {
        date,
        latitude: lat,
        longitude: lon,
        solar_noon: solar_noon(date, lat, lon),
        sun: sunrise_sunset(date, lat, lon),
        civil: civil_twilight(date, lat, lon),
    }
}

/// The local (mean solar time) date of an instant at a longitude.
pub fn local_solar_date(t: Timestamp, lon: f64) -> NaiveDate {
    plus_minutes(t, 4.0 * lon).date_naive()
}

/// Solar phase (night, dawn, day, dusk) at an instant and place, from the sun's elevation:
/// day above -0.833 degrees, civil twilight down to -6 degrees (dawn before solar noon, dusk
/// after), night below. Consistent with [`sunrise_sunset`] and [`civil_twilight`], and
/// correct in polar summer and winter too.
pub fn solar_phase(t: Timestamp, lat: f64, lon: f64) -> SolarPhase {
    let elevation = solar_elevation(t, lat, lon);
    if elevation > SUNRISE_ELEVATION_DEG {
        SolarPhase::Day
    } else if elevation > CIVIL_TWILIGHT_ELEVATION_DEG {
        let eot = geometry(t).equation_of_time_min;
        if hour_angle_at(t, lon, eot) < 0.0 {
            SolarPhase::Dawn
        } else {
            SolarPhase::Dusk
        }
    } else {
        SolarPhase::Night
    }
}

/// Signed hours from `t` to the nearest crossing chosen by `pick` among the local dates
/// around `t`; `None` when none of them has one (polar day or night).
fn hours_from_nearest(t: Timestamp, lat: f64, lon: f64, pick: impl Fn(&RiseSet) -> Option<Timestamp>) -> Option<f64> {
    let date = local_solar_date(t, lon);
    [date.pred_opt(), Some(date), date.succ_opt()]
        .into_iter()
        .flatten()
        .filter_map(|d| pick(&sunrise_sunset(d, lat, lon)))
        .map(|c| (t - c).num_milliseconds() as f64 / 3_600_000.0)
        .min_by(|a, b| a.abs().total_cmp(&b.abs()))
}

/// Signed hours from the nearest sunrise (negative before it, positive after), e.g. -0.5
/// for half an hour before sunrise. `None` where the sun does not rise on the dates around
/// `t` (polar day or night).
pub fn hours_from_sunrise(t: Timestamp, lat: f64, lon: f64) -> Option<f64> {
    hours_from_nearest(t, lat, lon, RiseSet::rise)
}

/// Signed hours from the nearest sunset (negative before it, positive after). `None` where
/// the sun does not set on the dates around `t`.
pub fn hours_from_sunset(t: Timestamp, lat: f64, lon: f64) -> Option<f64> {
    hours_from_nearest(t, lat, lon, RiseSet::set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn assert_close(got: Timestamp, want: &str, tolerance_s: i64, what: &str) {
        let want = utc(want);
        let diff = (got - want).num_seconds().abs();
        assert!(
            diff <= tolerance_s,
            "{what}: got {got}, expected {want} (off by {diff} s)"
        );
    }

    // Meeus, Astronomical Algorithms (2nd ed.), Example 25.a: 1992 October 13.0 TD, the
    // apparent declination of the sun is -7 deg 47' 01" = -7.78507 deg (the low-accuracy
    // method of that chapter, which NOAA uses, gives the same to 0.001 deg).
    #[test]
    fn solar_declination_matches_meeus_example_25a() {
        let dec = declination(utc("1992-10-13T00:00:00Z"));
        assert!((dec - -7.78507).abs() < 0.01, "declination {dec}");
    }

    // Meeus Example 28.a: on 1992 October 13.0 TD the equation of time is +13 min 42.6 s.
    #[test]
    fn solar_equation_of_time_matches_meeus_example_28a() {
        let eot = equation_of_time(utc("1992-10-13T00:00:00Z"));
        assert!((eot - 13.71).abs() < 0.1, "equation of time {eot} min");
    }

    // Expected times below were computed with PyEphem 4.2.1 (VSOP87 theory for the sun, an
    // implementation independent of NOAA's formulas) under the U.S. Naval Observatory
    // convention that NOAA also uses: no refraction model (`pressure = 0`), the sun's centre
    // (`use_center=True`) at `horizon = -0:50` for sunrise and sunset and at -6 degrees for
    // civil twilight. NOAA's formulas agree with them to a few seconds; we allow a minute.

    #[test]
    fn solar_times_for_bozeman_at_the_june_solstice() {
        // Bozeman, Montana (45.6770 N, 111.0429 W), 2026-06-21: sunrise 05:34:45 MDT,
        // sunset 21:17:21 MDT, solar noon 13:26:03 MDT (UTC-6).
        let s = sun_times(date(2026, 6, 21), 45.6770, -111.0429);
        assert_close(s.sunrise().unwrap(), "2026-06-21T11:34:45Z", 60, "sunrise");
        assert_close(s.sunset().unwrap(), "2026-06-22T03:17:21Z", 60, "sunset");
        assert_close(s.solar_noon, "2026-06-21T19:26:03Z", 60, "solar noon");
        assert_close(s.civil_dawn().unwrap(), "2026-06-21T10:56:31Z", 60, "civil dawn");
        assert_close(s.civil_dusk().unwrap(), "2026-06-22T03:55:35Z", 60, "civil dusk");
        assert!((s.day_length_hours() - 15.71).abs() < 0.05, "{}", s.day_length_hours());
    }

    #[test]
    fn solar_times_for_bozeman_at_the_december_solstice() {
        let s = sunrise_sunset(date(2026, 12, 21), 45.6770, -111.0429);
        assert_close(s.rise().unwrap(), "2026-12-21T15:01:57Z", 60, "sunrise");
        assert_close(s.set().unwrap(), "2026-12-21T23:42:49Z", 60, "sunset");
    }

    #[test]
    fn solar_times_at_greenwich_sydney_and_quito() {
        // Royal Observatory Greenwich, March equinox 2024.
        let g = sun_times(date(2024, 3, 20), 51.4769, 0.0);
        assert_close(g.sunrise().unwrap(), "2024-03-20T06:01:48Z", 60, "Greenwich sunrise");
        assert_close(g.sunset().unwrap(), "2024-03-20T18:13:49Z", 60, "Greenwich sunset");
        assert_close(g.solar_noon, "2024-03-20T12:07:18Z", 60, "Greenwich noon");
        // Sydney, local date 2024-01-15: the sunrise is on the previous UTC date.
        let s = sun_times(date(2024, 1, 15), -33.8688, 151.2093);
        assert_close(s.sunrise().unwrap(), "2024-01-14T18:59:01Z", 60, "Sydney sunrise");
        assert_close(s.sunset().unwrap(), "2024-01-15T09:09:07Z", 60, "Sydney sunset");
        assert_close(s.solar_noon, "2024-01-15T02:04:15Z", 60, "Sydney noon");
        // Quito, on the equator.
        let q = sunrise_sunset(date(2024, 9, 1), -0.18, -78.47);
        assert_close(q.rise().unwrap(), "2024-09-01T11:10:29Z", 60, "Quito sunrise");
        assert_close(q.set().unwrap(), "2024-09-01T23:16:50Z", 60, "Quito sunset");
    }

    #[test]
    fn solar_polar_day_and_night_are_reported_not_invented() {
        // Tromso (69.65 N): midnight sun in June, polar night in December.
        let june = sun_times(date(2024, 6, 21), 69.65, 18.96);
        assert_eq!(june.sun, RiseSet::AlwaysAbove);
        assert_eq!(june.sunrise(), None);
        assert_eq!(june.day_length_hours(), 24.0);
        let december = sun_times(date(2024, 12, 21), 69.65, 18.96);
        assert_eq!(december.sun, RiseSet::AlwaysBelow);
        assert_eq!(december.day_length_hours(), 0.0);
        // Civil twilight still happens at midday in the polar night at that latitude.
        assert!(matches!(december.civil, RiseSet::Normal { .. }));
        // The phase follows: day at midnight in June, never day in December.
        assert_eq!(solar_phase(utc("2024-06-21T23:00:00Z"), 69.65, 18.96), SolarPhase::Day);
        assert_ne!(solar_phase(utc("2024-12-21T10:45:00Z"), 69.65, 18.96), SolarPhase::Day);
        assert_eq!(hours_from_sunrise(utc("2024-06-21T12:00:00Z"), 69.65, 18.96), None);
        assert_eq!(hours_from_sunset(utc("2024-12-21T12:00:00Z"), 69.65, 18.96), None);
        // Deep Antarctic winter: no twilight either.
        let pole = sun_times(date(2024, 6, 21), -89.0, 0.0);
        assert_eq!(pole.sun, RiseSet::AlwaysBelow);
        assert_eq!(pole.civil, RiseSet::AlwaysBelow);
        assert_eq!(solar_phase(utc("2024-06-21T12:00:00Z"), -89.0, 0.0), SolarPhase::Night);
    }

    #[test]
    fn solar_phase_walks_through_the_day_in_order() {
        let (lat, lon) = (45.6770, -111.0429);
        let s = sun_times(date(2026, 6, 21), lat, lon);
        let minutes = |m: i64| Duration::minutes(m);
        let rise = s.sunrise().unwrap();
        let set = s.sunset().unwrap();
        assert_eq!(
            solar_phase(s.civil_dawn().unwrap() - minutes(10), lat, lon),
            SolarPhase::Night
        );
        assert_eq!(solar_phase(rise - minutes(10), lat, lon), SolarPhase::Dawn);
        assert_eq!(solar_phase(rise + minutes(10), lat, lon), SolarPhase::Day);
        assert_eq!(solar_phase(s.solar_noon, lat, lon), SolarPhase::Day);
        assert_eq!(solar_phase(set - minutes(10), lat, lon), SolarPhase::Day);
        assert_eq!(solar_phase(set + minutes(10), lat, lon), SolarPhase::Dusk);
        assert_eq!(
            solar_phase(s.civil_dusk().unwrap() + minutes(10), lat, lon),
            SolarPhase::Night
        );
        assert!(solar_phase(set + minutes(10), lat, lon).is_dark());
        // The elevation at the computed sunrise is the sunrise elevation, within a few
        // hundredths of a degree (the sun climbs about 0.15 degree a minute there).
        let e = solar_elevation(rise, lat, lon);
        assert!((e - SUNRISE_ELEVATION_DEG).abs() < 0.05, "elevation at sunrise {e}");
    }

    #[test]
    fn solar_hours_from_sunrise_and_sunset_are_signed_and_nearest() {
        let (lat, lon) = (45.6770, -111.0429);
        let s = sun_times(date(2026, 6, 21), lat, lon);
        let rise = s.sunrise().unwrap();
        let set = s.sunset().unwrap();
        let h = hours_from_sunrise(rise - Duration::minutes(30), lat, lon).unwrap();
        assert!((h + 0.5).abs() < 0.01, "{h}");
        let h = hours_from_sunrise(rise + Duration::minutes(90), lat, lon).unwrap();
        assert!((h - 1.5).abs() < 0.01, "{h}");
        let h = hours_from_sunset(set + Duration::hours(2), lat, lon).unwrap();
        assert!((h - 2.0).abs() < 0.01, "{h}");
        // At local midnight (about 06:00 UTC) the nearest sunset is the previous evening's.
        let h = hours_from_sunset(utc("2026-06-22T06:30:00Z"), lat, lon).unwrap();
        assert!((3.0..3.5).contains(&h), "{h}");
        // And the nearest sunrise is the coming one.
        let h = hours_from_sunrise(utc("2026-06-22T06:30:00Z"), lat, lon).unwrap();
        assert!((-5.5..-4.5).contains(&h), "{h}");
    }

    #[test]
    fn solar_local_date_follows_longitude() {
        // 03:00 UTC is still the previous evening in Montana, already morning in Sydney.
        let t = utc("2026-06-22T03:00:00Z");
        assert_eq!(local_solar_date(t, -111.0), date(2026, 6, 21));
        assert_eq!(local_solar_date(t, 151.0), date(2026, 6, 22));
    }
}
