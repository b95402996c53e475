#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = payments_on_order::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| payments_on_order::handler(&deps, event))).await
}
