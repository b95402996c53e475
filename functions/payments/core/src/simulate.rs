//! The simulated payment provider: decides at once whether a charge succeeds.

use bazaar_events::payments::{Subject, SubjectKind};
use sha2::{Digest, Sha256};

/// What a charge is decided by: the order id (as before payments had subjects, so seeded
/// runs keep their outcomes) or `reservation:<id>`.
pub fn key(subject: &Subject) -> String {
    match subject.kind {
        SubjectKind::Order => subject.id.clone(),
        SubjectKind::Reservation => format!("reservation:{}", subject.id),
    }
}

/// Whether the simulated charge keyed `key` (see [`key`]) succeeds, with probability
/// `success_rate`. With a `seed` the outcome is a pure function of (seed, key), so a test or
/// a bench run is reproducible; without one it is random.
pub fn succeeds(success_rate: f64, seed: Option<&str>, key: &str) -> bool {
    if success_rate >= 1.0 {
        return true;
    }
    if success_rate <= 0.0 {
        return false;
    }
    let draw = match seed {
        Some(seed) => unit_interval(seed, key),
        None => rand::random::<f64>(),
    };
    draw < success_rate
}

/// sha256(seed ":" key) → u64 → [0, 1].
fn unit_interval(seed: &str, key: &str) -> f64 {
    let digest = Sha256::new().chain_update(seed).chain_update(b":").chain_update(key).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) as f64 / u64::MAX as f64
}

/// The provider reference of a simulated charge: stable per payment.
pub fn provider_ref(payment_id: &str) -> String {
    format!("sim_{}", payment_id.replace('-', ""))
}

/// The provider reference of a simulated refund: a new one per refund, as providers do.
pub fn refund_ref() -> String {
    format!("refund-{}", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_outcome_is_a_function_of_seed_and_order() {
        for i in 0..50 {
            let order = format!("o-{i}");
            assert_eq!(succeeds(0.5, Some("s"), &order), succeeds(0.5, Some("s"), &order));
        }
        let with = |seed: &str| (0..200).map(|i| succeeds(0.5, Some(seed), &format!("o-{i}"))).collect::<Vec<_>>();
        assert_ne!(with("a"), with("b"), "the seed changes the outcomes");
    }

    #[test]
    fn the_success_rate_is_respected() {
        assert!((0..100).all(|i| succeeds(1.0, None, &format!("o{i}"))));
        assert!((0..100).all(|i| !succeeds(0.0, Some("s"), &format!("o{i}"))));
        let successes = (0..2000).filter(|i| succeeds(0.8, Some("seed"), &format!("order-{i}"))).count();
        assert!((1500..1700).contains(&successes), "{successes} of 2000 at 0.8");
    }

    #[test]
    fn a_provider_ref_is_stable() {
        assert_eq!(provider_ref("6f1c-2a3e"), "sim_6f1c2a3e");
        assert!(refund_ref().starts_with("refund-"));
        assert_ne!(refund_ref(), refund_ref());
    }

    #[test]
    fn an_order_is_keyed_by_its_id_and_a_reservation_apart_from_it() {
        assert_eq!(key(&Subject::order("o-1")), "o-1");
        assert_eq!(key(&Subject::reservation("o-1")), "reservation:o-1");
    }
}
