#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = reservations_on_payment::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| reservations_on_payment::handler(&deps, event))).await
}
