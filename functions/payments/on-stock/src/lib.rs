//! `payments-on-stock` (SQS ← EventBridge `StockReserved`): creates the order's payment,
//! once per order id; in simulated mode it is settled in the same transaction. Each message
//! is handled on its own; only the ones that failed are reported back to the queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::catalog::StockReserved;
use lambda_runtime::LambdaEvent;
use payments_core::flows;

pub struct Deps {
    pub store: payments_core::PaymentsStore,
    pub settings: payments_core::settings::ProviderSettings,
    /// When a failed message comes back (`RETRY_BASE_SECONDS`, `RETRY_CAP_SECONDS`).
    pub retries: consumer::Retries,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &bazaar_runtime::config::Env) -> anyhow::Result<Deps> {
        let provider = payments_core::ProviderDeps::new(config, env)?;
        Ok(Deps {
            store: provider.store,
            settings: provider.settings,
            retries: consumer::Retries::from_env(config, env)?,
        })
    }
}

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
