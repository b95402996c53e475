//! Route throttling: one token bucket per route key, holding `burst` tokens and refilled at
//! `rate` tokens per second, like an HTTP API's default route settings.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug)]
pub struct Throttle {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Throttle {
    /// None when the API sets no limit (both settings are needed, as in API Gateway).
    pub fn new(rate: Option<f64>, burst: Option<u32>) -> Option<Throttle> {
        let (rate, burst) = (rate?, burst?);
        Some(Throttle { rate: rate.max(0.0), burst: f64::from(burst), buckets: Mutex::new(HashMap::new()) })
    }

    /// Takes a token for `route_key` now; false means "429 Too Many Requests".
    pub fn try_acquire(&self, route_key: &str) -> bool {
        self.try_acquire_at(route_key, Instant::now())
    }

    /// [`Throttle::try_acquire`] at a given instant (deterministic tests).
    pub fn try_acquire_at(&self, route_key: &str, now: Instant) -> bool {
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(route_key.to_owned()).or_insert(Bucket { tokens: self.burst, updated: now });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill_per_route() {
        let throttle = Throttle::new(Some(2.0), Some(3)).expect("limited");
        let t0 = Instant::now();
        assert!((0..3).all(|_| throttle.try_acquire_at("GET /a", t0)));
        assert!(!throttle.try_acquire_at("GET /a", t0));
        assert!(throttle.try_acquire_at("GET /b", t0), "buckets are per route");
        let later = t0 + Duration::from_millis(500);
        assert!(throttle.try_acquire_at("GET /a", later), "one token after 0.5 s at 2/s");
        assert!(!throttle.try_acquire_at("GET /a", later));
    }

    #[test]
    fn no_settings_no_throttle() {
        assert!(Throttle::new(None, Some(1)).is_none());
        assert!(Throttle::new(Some(1.0), None).is_none());
    }
}
