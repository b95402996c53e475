#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = permissions_on_user::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| permissions_on_user::handler(&deps, event))).await
}
