#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = reservations_expire::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| reservations_expire::handler(&deps, event))).await
}
