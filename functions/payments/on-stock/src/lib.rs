//! `payments-on-stock` (SQS ← EventBridge `StockReserved`): creates the order's payment,
//! once per order id; in simulated mode it is settled in the same transaction. Each message
//! is handled on its own; only the ones that failed are reported back to the queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use bazaar_aws::consumer::{self, Delivered};
use bazaar_events::catalog::StockReserved;
use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;
use payments_core::PaymentsStore;
use payments_core::flows;
use payments_core::settings::ProviderSettings;

/// Messages handled at once (a batch is at most 10).
const CONCURRENCY: usize = 10;

pub struct Deps {
    pub store: PaymentsStore,
    pub settings: ProviderSettings,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: PaymentsStore::from_env(config, env)?, settings: ProviderSettings::from_env(env)? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, CONCURRENCY, |message| async move {
        let event = Delivered::parse(consumer::body(&message)?)?.decode::<StockReserved>()?;
        flows::on_stock_reserved(&deps.store, &deps.settings, &event, chrono::Utc::now()).await?;
        Ok(())
    })
    .await)
}
