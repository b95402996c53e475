//! How far a stream poller has got, for whoever must know that every record written so far
//! has been handled (the system tests' wait for quiet). The poller numbers its rounds; a
//! watcher takes a [`StreamProgress::mark`], and once a round that began after the mark has
//! finished idle, every record written before the mark has been read and its invocation has
//! returned (or it was filtered out, or given up on and sent to the on-failure destination).
//!
//! That holds because moto appends a stream record in the same request that writes the item,
//! and returns every record after an iterator up to the page limit: a write that completed
//! before the round began is in that round's GetRecords page unless it was read before.

use std::sync::{Mutex, PoisonError};

/// Shared by one [`super::StreamPoller`] and its watchers.
#[derive(Debug)]
pub struct StreamProgress {
    name: String,
    rounds: Mutex<Rounds>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Rounds {
    /// Rounds begun; a round's number is this count when it began (the first is 1).
    begun: u64,
    /// The number of the last round that finished, and whether it was idle.
    finished: Option<(u64, bool)>,
}

impl StreamProgress {
    pub(super) fn new(name: String) -> StreamProgress {
        StreamProgress { name, rounds: Mutex::default() }
    }

    /// `<function> <- dynamodb:<table>`: which poller this is.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rounds begun so far; pass it to [`StreamProgress::idle_since`].
    pub fn mark(&self) -> u64 {
        self.rounds().begun
    }

    /// None until a round that began after `mark` has finished; then whether the last
    /// finished round was idle: it read no record, and no shard held a record still to be
    /// handled (none waiting for its batch, its batching window or a retry).
    pub fn idle_since(&self, mark: u64) -> Option<bool> {
        match self.rounds().finished {
            Some((round, idle)) if round > mark => Some(idle),
            _ => None,
        }
    }

    /// Whether the last finished round (if any) was idle.
    pub fn last_round_idle(&self) -> bool {
        self.rounds().finished.is_some_and(|(_, idle)| idle)
    }

    pub(super) fn begin(&self) -> u64 {
        let mut rounds = self.rounds.lock().unwrap_or_else(PoisonError::into_inner);
        rounds.begun += 1;
        rounds.begun
    }

    pub(super) fn finish(&self, round: u64, idle: bool) {
        self.rounds.lock().unwrap_or_else(PoisonError::into_inner).finished = Some((round, idle));
    }

    fn rounds(&self) -> Rounds {
        *self.rounds.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_round_begun_after_the_mark_answers() {
        let progress = StreamProgress::new("fn <- dynamodb:t".into());
        assert_eq!(progress.idle_since(0), None);
        let first = progress.begin();
        let mark = progress.mark();
        progress.finish(first, true);
        assert_eq!(progress.idle_since(mark), None, "the round was under way at the mark");
        let second = progress.begin();
        progress.finish(second, false);
        assert_eq!(progress.idle_since(mark), Some(false));
        let third = progress.begin();
        progress.finish(third, true);
        assert_eq!(progress.idle_since(mark), Some(true));
        assert!(progress.last_round_idle());
    }
}
