//! Payments' outbox publisher: DynamoDB stream records of `OUTBOX#` items → EventBridge.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use bazaar_runtime::config::Env;
use lambda_runtime::LambdaEvent;

pub struct Deps {
    pub events: aws_sdk_eventbridge::Client,
    pub bus: String,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { events: aws_sdk_eventbridge::Client::new(config), bus: env.required("EVENT_BUS_NAME")? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

pub async fn handler(deps: &Deps, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    Ok(bazaar_aws::publisher::publish(&deps.events, &deps.bus, event.payload).await)
}
