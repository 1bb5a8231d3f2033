//! Places on Earth and the distance between them (haversine on a sphere of
//! the Earth's mean radius: within a few metres of the ellipsoid at the
//! ranges an approval checks, far finer than a phone's location fix).

use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// `None` unless both are finite and in range.
    pub fn new(lat: f64, lon: f64) -> Option<LatLon> {
        let ok = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon);
        ok.then_some(LatLon { lat, lon })
    }

    /// Great-circle distance in metres.
    pub fn distance_m(self, other: LatLon) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().clamp(0.0, 1.0).asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        let shibuya = LatLon::new(35.658034, 139.701636).unwrap();
        let tokyo = LatLon::new(35.681236, 139.767125).unwrap();
        // Shibuya to Tokyo station is about 6.4 km as the crow flies.
        let d = shibuya.distance_m(tokyo);
        assert!((6_300.0..6_500.0).contains(&d), "{d}");
        assert_eq!(shibuya.distance_m(shibuya), 0.0);
        // One degree of latitude is about 111.2 km anywhere.
        let a = LatLon::new(0.0, 10.0).unwrap();
        let b = LatLon::new(1.0, 10.0).unwrap();
        assert!((a.distance_m(b) - 111_195.0).abs() < 5.0);
    }

    #[test]
    fn antipodes_and_the_date_line() {
        let a = LatLon::new(0.0, 179.9999).unwrap();
        let b = LatLon::new(0.0, -179.9999).unwrap();
        assert!(a.distance_m(b) < 30.0);
        let n = LatLon::new(90.0, 0.0).unwrap();
        let s = LatLon::new(-90.0, 0.0).unwrap();
        assert!((n.distance_m(s) - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1.0);
    }

    #[test]
    fn out_of_range_points_are_refused() {
        assert!(LatLon::new(91.0, 0.0).is_none());
        assert!(LatLon::new(0.0, 180.5).is_none());
        assert!(LatLon::new(f64::NAN, 0.0).is_none());
    }
}
