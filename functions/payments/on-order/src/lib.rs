//! `payments-on-order` (SQS ← EventBridge `OrderCancelled` from `bazaar.orders`): settles
//! the cancelled order's payment so that it never costs the customer anything: a PENDING
//! payment fails, a SUCCEEDED one is refunded, a missing one is tombstoned (a late
//! `StockReserved` then creates none), and `CancellationSettled` says which. Each event
//! applies once (inbox marker); only the messages that failed are reported.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::orders::OrderCancelled;
use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;
use payments_core::{PaymentsStore, order};

/// Messages handled at once (a batch is at most 10).
const CONCURRENCY: usize = 10;

pub struct Deps {
    pub store: PaymentsStore,
    /// When a failed message comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
    pub retries: consumer::Retries,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: PaymentsStore::from_env(config, env)?, retries: consumer::Retries::from_env(config, env)? })
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, &deps.retries, CONCURRENCY, |message| async move {
        let event = Delivered::parse(consumer::body(&message)?)?.decode::<OrderCancelled>()?;
        order::on_order_cancelled(&deps.store, &event, chrono::Utc::now()).await?;
        Ok(())
    })
    .await)
}
