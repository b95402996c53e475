//! Keeps the product projection orders are priced from: each `ProductChanged` is stored
//! only when its version is newer than the one held, so redeliveries and out-of-order
//! events change nothing.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer;
use bazaar_events::catalog::ProductChanged;
use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;
use orders_core::{OrdersStore, Product};

/// Messages of a batch handled at once (orders are independent; one order's events are
/// serialized by the conditional status change).
pub const CONCURRENCY: usize = 10;

pub struct Deps {
    pub store: OrdersStore,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: OrdersStore::from_env(config, env)? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, CONCURRENCY, |message| handle(deps, message)).await)
}

async fn handle(deps: &Deps, message: SqsMessage) -> anyhow::Result<()> {
    let event = consumer::decode::<ProductChanged>(consumer::body(&message)?)?;
    let product = Product::from(&event.data);
    let stored = deps.store.put_product(&product).await?;
    tracing::info!(product_id = %product.product_id, version = product.version, stored, "product projected");
    Ok(())
}
