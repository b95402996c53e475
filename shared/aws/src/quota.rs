//! A cap on how many open things one user has at once (orders holding stock, reservations
//! waiting for payment), strict under concurrency.
//!
//! Each open thing takes one of its owner's `cap` slots (`QUOTA#<name>#<owner>` /
//! `SLOT#<i>`, holding the thing's id and its deadline) in the same transaction that creates
//! the thing: the slot's write is conditional on the slot being free, so two concurrent
//! requests cannot both take the last one (the loser's transaction fails and it looks again).
//! A slot frees itself when its deadline passes (past it the thing holds nothing: the stock
//! hold or the pending reservation has expired), and is given back early when the thing
//! closes ([`Quota::release`]). Releasing is best-effort by design: a release lost to a crash
//! only keeps the slot until its deadline.

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::dynamo::{keyed, n, s};
use crate::table::{Table, Write};

/// A number below `n` (0 when `n` is 0), random enough to spread concurrent requests: the
/// process's random hash keys, without a random number generator to link.
fn random_below(n: usize) -> usize {
    use std::hash::{BuildHasher, RandomState};
    if n == 0 {
        return 0;
    }
    let draw = RandomState::new().hash_one(std::time::SystemTime::now());
    usize::try_from(draw % n as u64).unwrap_or(0)
}

/// One slot as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Slot {
    sk: String,
    /// The id of the thing holding it.
    thing: String,
    /// Epoch seconds after which the slot is free again.
    deadline: i64,
    /// For the table's TTL: a day after the deadline.
    expires_at: i64,
}

/// What asking for a slot found.
#[derive(Debug)]
pub enum Admission {
    /// A free slot: commit this write with the thing; if the transaction fails on it, another
    /// request took the slot first: ask again.
    Slot(Box<Write>),
    /// Every slot is taken; the earliest frees itself in this many seconds (at least 1).
    Full { retry_after: u64 },
}

/// The slots of one kind of open thing (`name`), `cap` per owner, in `table`.
pub struct Quota<'t> {
    table: &'t Table,
    name: &'static str,
    cap: u32,
}

impl<'t> Quota<'t> {
    pub fn new(table: &'t Table, name: &'static str, cap: u32) -> Quota<'t> {
        Quota { table, name, cap }
    }

    fn pk(&self, owner: &str) -> String {
        format!("QUOTA#{}#{owner}", self.name)
    }

    async fn slots(&self, owner: &str) -> anyhow::Result<Vec<Slot>> {
        let query = self
            .table
            .query()
            .key_condition_expression("pk = :pk AND begins_with(sk, :slot)")
            .expression_attribute_values(":pk", s(self.pk(owner)))
            .expression_attribute_values(":slot", s("SLOT#"))
            .consistent_read(true);
        self.table.query_all(query, None, "reading quota slots").await
    }

    /// A free slot of `owner`'s for `thing`, held until `deadline` (epoch seconds), or how
    /// long until one frees itself.
    pub async fn admit(&self, owner: &str, thing: &str, deadline: i64, now: i64) -> anyhow::Result<Admission> {
        let taken: Vec<Slot> = self.slots(owner).await?.into_iter().filter(|slot| slot.deadline > now).collect();
        let held: std::collections::HashSet<&str> = taken.iter().map(|t| t.sk.as_str()).collect();
        let free: Vec<String> =
            (0..self.cap).map(|i| format!("SLOT#{i}")).filter(|sk| !held.contains(sk.as_str())).take(32).collect();
        // One of the first free slots at random: concurrent requests of one owner rarely pick
        // the same one.
        let Some(sk) = free.get(random_below(free.len())).cloned() else {
            let earliest = taken.iter().map(|t| t.deadline).min().unwrap_or(now + 1);
            return Ok(Admission::Full { retry_after: u64::try_from(earliest - now).unwrap_or(1).max(1) });
        };
        let slot = Slot { sk: sk.clone(), thing: thing.to_owned(), deadline, expires_at: deadline + 24 * 3600 };
        let put = self
            .table
            .put_with(keyed(self.pk(owner), sk, &slot)?)
            .condition_expression("attribute_not_exists(pk) OR deadline <= :now")
            .expression_attribute_values(":now", n(now))
            .build()
            .context("building a quota slot")?;
        Ok(Admission::Slot(Box::new(Write::from(put))))
    }

    /// Gives `thing`'s slot back (it closed before its deadline). Nothing to do when it holds
    /// none (released before, or never admitted).
    pub async fn release(&self, owner: &str, thing: &str) -> anyhow::Result<()> {
        for slot in self.slots(owner).await?.into_iter().filter(|slot| slot.thing == thing) {
            let result = self
                .table
                .delete_item(self.pk(owner), &slot.sk)
                .condition_expression("thing = :thing")
                .expression_attribute_values(":thing", s(thing))
                .send()
                .await;
            // The condition failed when the slot was taken over meanwhile: no longer ours.
            crate::dynamo::applied(result, "releasing a quota slot")?;
        }
        Ok(())
    }
}
