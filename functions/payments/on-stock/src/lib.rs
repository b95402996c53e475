//! `payments-on-stock` (SQS ← EventBridge `StockReserved`): creates the order's payment,
//! once per order id; in simulated mode it is settled in the same transaction. Each message
//! is handled on its own; only the ones that failed are reported back to the queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::catalog::StockReserved;
use lambda_runtime::LambdaEvent;
use payments_core::flows;

pub use payments_core::ProviderDeps as Deps;

/// Messages handled at once (a batch is at most 10).
const CONCURRENCY: usize = 10;

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, &deps.retries, CONCURRENCY, |message| async move {
        let event = Delivered::parse(consumer::body(&message)?)?.decode::<StockReserved>()?;
        flows::on_stock_reserved(&deps.store, &deps.settings, &event, chrono::Utc::now()).await?;
        Ok(())
    })
    .await)
}
