//! Waiting until the system is quiescent, for tests that assert something did *not* happen
//! (no third email, no extra metric): rather than sleep for a fixed time and hope the last
//! event has arrived, they wait until nothing is left that could still happen.
//!
//! # One observation
//!
//! 1. the registry's [`Activity`]: invocations begun and running;
//! 2. a mark on every stream poller's rounds ([`StreamProgress::mark`]);
//! 3. every queue of the stack: its visible, in-flight and delayed messages;
//! 4. a wait until every stream poller has finished a round begun after its mark;
//! 5. the registry's activity again.
//!
//! It is quiet when no invocation ran at any point of it (none running at 1 or 5, none begun
//! between), every queue with a consumer is empty (not one message visible, in flight or
//! delayed), every queue without one (DLQs, on-failure destinations) holds as many messages
//! as at the observation before, and every stream poller's round of step 4 was idle: it read
//! nothing and holds no record still to handle. The system is quiescent after
//! [`QUIET_OBSERVATIONS`] quiet observations in a row with no invocation begun between them,
//! so that the window they cover has no gap.
//!
//! # Why no work in transit between two hops is missed
//!
//! Work is always in one of three places: a stream record not yet handled by a poller, a
//! message in a queue, or an invocation. Each hop from one to the next:
//!
//! - **a function's write → its table's stream** (an outbox item, say): moto appends the
//!   record within the write's own request, so it exists before the invocation that wrote it
//!   returns. Invocations that returned before step 1 wrote before the marks of step 2.
//! - **stream → publisher**: a record read stays in its poller's buffer until its invocation
//!   returned (or it was given up on); a round is idle only with every buffer empty and an
//!   empty GetRecords page, and moto's page holds every record after the iterator. So an idle
//!   round begun after the mark proves every record written before it was handled. A record
//!   waiting for a retry's backoff or for a batching window keeps the rounds busy.
//! - **publisher → PutEvents → rule → queue**: moto sends to a rule's SQS targets within the
//!   PutEvents request; the message is in its queue before the publisher's invocation ends.
//! - **queue → consumer**: the poller's ReceiveMessage makes the message in flight, and it
//!   deletes it only after the invocation returned; a failed message stays in flight until its
//!   visibility timeout ends and is then visible again; a message sent with a delay is
//!   delayed. Each counts against its queue.
//! - **consumer → its table → stream**: its writes are done before the invocation returns, so
//!   before its message is deleted: the message is in flight until the record exists.
//! - **queue → DLQ** and **stream → on-failure destination**: these move without an
//!   invocation (moto moves a message on the ReceiveMessage after its last receive; a stream
//!   poller sends the on-failure record after the last failed invocation, in the same round).
//!   Until the move the work is in a consumer's queue or a poller's buffer; the move itself
//!   may fall between the looks at two queues, and shows as a DLQ holding a different number
//!   of messages than at the observation before.
//!
//! The looks of one observation are not simultaneous, but nothing can slip past them: a hop
//! from a place not yet looked at to one already looked at either runs in an invocation
//! (caught by steps 1 and 5) or is one of the moves above (caught by the next observation).
//!
//! Not covered: scheduled functions fire when they fire (one that fires during the wait makes
//! it longer), and a test's own requests must have returned before it waits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_sqs::types::QueueAttributeName;
use devstack::pollers::StreamProgress;
use futures::{StreamExt as _, TryStreamExt as _};
use tokio::time::Instant;

use crate::registry::Activity;
use crate::system::System;

/// Quiet observations in a row that make the system quiescent. The first observation is
/// never quiet (the DLQs' counts have nothing to compare with), so it takes one more.
pub const QUIET_OBSERVATIONS: usize = 2;

/// How often a waiting observation looks at the stream pollers' progress again.
const PROGRESS_CHECK: Duration = Duration::from_millis(20);

/// Queues looked at concurrently in one observation.
const CONCURRENT_LOOKS: usize = 8;

impl System {
    /// Waits until the system is quiescent (module [`crate::quiet`]): every queue with a
    /// consumer empty, every DLQ still, every stream read to its end and handled, no function
    /// running; fails after `timeout` saying which queue, stream or invocation was still busy.
    /// A system with manual delivery never drains by itself: that is an error at once.
    pub async fn quiescent(&self, timeout: Duration) -> anyhow::Result<()> {
        let streams = self.streams.as_deref().context("delivery is manual: no poller drains the queues and streams")?;
        let deadline = Instant::now() + timeout;
        let watch = Watch::new(self, streams);
        let mut previous: Option<Observation> = None;
        let mut quiet_in_a_row = 0;
        loop {
            let seen = watch.observe(deadline).await?;
            let busy = watch.busy(&seen, previous.as_ref());
            let unbroken = previous.as_ref().is_some_and(|p| p.after.started == seen.before.started);
            quiet_in_a_row = match (busy.is_empty(), unbroken) {
                (false, _) => 0,
                (true, true) => quiet_in_a_row + 1,
                (true, false) => 1,
            };
            if quiet_in_a_row >= QUIET_OBSERVATIONS {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let why = if busy.is_empty() { vec!["quiet only at the last look".to_owned()] } else { busy };
                anyhow::bail!("the system was not quiescent after {timeout:?}: {}", why.join("; "));
            }
            previous = Some(seen);
        }
    }
}

/// What [`System::quiescent`] looks at.
struct Watch<'a> {
    system: &'a System,
    streams: &'a [Arc<StreamProgress>],
    sqs: aws_sdk_sqs::Client,
    /// Logical ids of the queues a function consumes.
    consumed: BTreeSet<String>,
    /// Logical id → physical name, for messages.
    names: BTreeMap<String, String>,
}

impl<'a> Watch<'a> {
    fn new(system: &'a System, streams: &'a [Arc<StreamProgress>]) -> Watch<'a> {
        let consumed =
            system.stack.functions.iter().flat_map(|f| &f.sqs_sources).map(|s| s.queue_logical_id.clone()).collect();
        let names = system.stack.queues.iter().map(|q| (q.logical_id.clone(), q.name.clone())).collect();
        // Uncounted: waiting must not show in the request counts of `make bench`.
        let sqs = aws_sdk_sqs::Client::new(&system.config);
        Watch { system, streams, sqs, consumed, names }
    }

    async fn observe(&self, deadline: Instant) -> anyhow::Result<Observation> {
        let before = self.system.registry.activity();
        let marks: Vec<u64> = self.streams.iter().map(|s| s.mark()).collect();
        let queues = &self.system.provisioned.queue_urls;
        let depths: BTreeMap<String, Depth> = futures::stream::iter(queues)
            .map(|(id, url)| async move { Ok::<_, anyhow::Error>((id.clone(), depth(&self.sqs, url).await?)) })
            .buffer_unordered(CONCURRENT_LOOKS)
            .try_collect()
            .await?;
        let streams = self.rounds_after(&marks, deadline).await;
        let after = self.system.registry.activity();
        Ok(Observation { before, after, depths, streams })
    }

    /// Each poller's name and whether its last round begun after its mark was idle (None:
    /// no such round finished before the deadline).
    async fn rounds_after(&self, marks: &[u64], deadline: Instant) -> Vec<(String, Option<bool>)> {
        loop {
            let rounds: Vec<Option<bool>> = self.streams.iter().zip(marks).map(|(s, m)| s.idle_since(*m)).collect();
            if rounds.iter().all(Option::is_some) || Instant::now() >= deadline {
                return self.streams.iter().map(|s| s.name().to_owned()).zip(rounds).collect();
            }
            tokio::time::sleep(PROGRESS_CHECK).await;
        }
    }

    fn name_of(&self, logical_id: &str) -> String {
        match self.names.get(logical_id) {
            Some(name) => format!("{logical_id} ({name})"),
            None => logical_id.to_owned(),
        }
    }
}

/// One observation (module docs).
struct Observation {
    before: Activity,
    after: Activity,
    /// By queue logical id.
    depths: BTreeMap<String, Depth>,
    /// Each stream poller's name, and whether its round was idle (None: unknown).
    streams: Vec<(String, Option<bool>)>,
}

impl Watch<'_> {
    /// Why `seen` is not quiet, given the observation before it; empty when it is.
    fn busy(&self, seen: &Observation, previous: Option<&Observation>) -> Vec<String> {
        let mut busy = Vec::new();
        let running = seen.before.running.max(seen.after.running);
        if running > 0 {
            busy.push(format!("{running} invocation(s) running"));
        }
        let begun = seen.after.started.saturating_sub(seen.before.started);
        if begun > 0 {
            busy.push(format!("{begun} invocation(s) begun while looking"));
        }
        for (id, depth) in &seen.depths {
            let name = self.name_of(id);
            if self.consumed.contains(id) {
                if depth.total() > 0 {
                    busy.push(format!("queue {name}: {depth}"));
                }
                continue;
            }
            if let Some(before) = previous.and_then(|p| p.depths.get(id))
                && before.total() != depth.total()
            {
                let (now, then) = (depth.total(), before.total());
                busy.push(format!("queue {name} (no consumer): {now} message(s), {then} at the look before"));
            }
        }
        for (name, idle) in &seen.streams {
            if *idle == Some(false) {
                busy.push(format!("stream {name}: records read or still to handle"));
            }
        }
        // What is unknown rather than busy is named only when nothing is known to be busy: a
        // poller whose round the deadline cut short, and at the first look, the queues
        // without a consumer (their counts have nothing to compare with).
        if busy.is_empty() {
            for (name, _) in seen.streams.iter().filter(|(_, idle)| idle.is_none()) {
                busy.push(format!("stream {name}: no polling round finished in time"));
            }
        }
        if busy.is_empty() && previous.is_none() && seen.depths.keys().any(|id| !self.consumed.contains(id)) {
            busy.push("the queues without a consumer were looked at only once".to_owned());
        }
        busy
    }
}

/// A queue's messages by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Depth {
    visible: u64,
    in_flight: u64,
    delayed: u64,
}

impl Depth {
    fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

impl fmt::Display for Depth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} visible, {} in flight, {} delayed", self.visible, self.in_flight, self.delayed)
    }
}

async fn depth(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<Depth> {
    use QueueAttributeName::{
        ApproximateNumberOfMessages, ApproximateNumberOfMessagesDelayed, ApproximateNumberOfMessagesNotVisible,
    };
    let output = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(ApproximateNumberOfMessages)
        .attribute_names(ApproximateNumberOfMessagesNotVisible)
        .attribute_names(ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .with_context(|| format!("GetQueueAttributes on {url}"))?;
    let attributes = output.attributes();
    let count = |name: QueueAttributeName| -> anyhow::Result<u64> {
        let value = attributes.and_then(|a| a.get(&name)).with_context(|| format!("{url}: no {name}"))?;
        value.parse().with_context(|| format!("{url}: {name} = {value:?}"))
    };
    Ok(Depth {
        visible: count(ApproximateNumberOfMessages)?,
        in_flight: count(ApproximateNumberOfMessagesNotVisible)?,
        delayed: count(ApproximateNumberOfMessagesDelayed)?,
    })
}
