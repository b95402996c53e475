#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = notifications_on_event::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| notifications_on_event::handler(&deps, event))).await
}
