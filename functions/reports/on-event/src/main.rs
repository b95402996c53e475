#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = reports_on_event::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| reports_on_event::handler(&deps, event))).await
}
