//! Keeps the product projection orders are priced from: each `ProductChanged` is stored
//! only when its version is newer than the one held, so redeliveries and out-of-order
//! events change nothing.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use bazaar_aws::consumer;
use bazaar_events::catalog::ProductChanged;
use lambda_runtime::LambdaEvent;
use orders_core::Product;
use orders_core::consumer::CONCURRENCY;

pub use orders_core::consumer::ConsumerDeps as Deps;

pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    Ok(consumer::process(event.payload, &deps.retries, CONCURRENCY, |message| handle(deps, message)).await)
}

async fn handle(deps: &Deps, message: SqsMessage) -> anyhow::Result<()> {
    let event = consumer::decode::<ProductChanged>(consumer::body(&message)?)?;
    let product = Product::from(&event.data);
    let stored = deps.store.put_product(&product).await?;
    tracing::info!(product_id = %product.product_id, version = product.version, stored, "product projected");
    Ok(())
}
