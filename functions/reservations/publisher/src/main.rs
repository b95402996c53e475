#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = reservations_publisher::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| reservations_publisher::handler(&deps, event))).await
}
