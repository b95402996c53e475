#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = reservations_remind::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| reservations_remind::handler(&deps, event))).await
}
