#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    bazaar_runtime::logging::init();
    let deps = auth_on_roles::Deps::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| auth_on_roles::handler(&deps, event))).await
}
