#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = reports_rebuild::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| reports_rebuild::handler(&deps, event))).await
}
