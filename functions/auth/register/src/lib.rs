//! `POST /auth/register`: creates a customer account and its first email verification, and
//! emits `UserRegistered` (the welcome email carries the verification link).

use auth_core::settings::{RateLimits, VerificationSettings};
use auth_core::{AuthStore, flows};
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub struct Deps {
    pub store: AuthStore,
    pub limits: RateLimits,
    pub verification: VerificationSettings,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: AuthStore::from_env(config, env)?,
            limits: RateLimits::from_env(env)?,
            verification: VerificationSettings::from_env(env)?,
        })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::post("/auth/register", "registerUser", "Register an account")
        .public()
        .describe(
            "Anyone may register: creates a `customer` account with its address unverified and emits \
             `UserRegistered`; the welcome email carries a link that verifies the address (`POST \
             /auth/email/verify`). Roles cannot be chosen (`role`/`roles` in the body are a 400); an email already registered is a 409, an \
             invalid email or a password outside the policy a 422. Throttled per client IP (429).",
        )
        .json_body::<flows::RegisterRequest>("The new account's email and password.")
        .returns::<auth_core::model::UserView>(201, "The account, as a `customer`.")
        .link("user", bazaar_openapi::Link::to("getUser").param("id", "$response.body#/id"))
        .link("roles", bazaar_openapi::Link::to("getUserRoles").param("id", "$response.body#/id"))
        .link(
            "grant",
            bazaar_openapi::Link::to("grantUserRole").param("id", "$response.body#/id").param("role", "front_desk"),
        )
        .link(
            "login",
            bazaar_openapi::Link::to("login").body(bazaar_openapi::json!({
                "email": "$request.body#/email",
                "password": "$request.body#/password",
            })),
        )
        .problems(&[409, 422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        // A malformed body costs no AWS call: it is refused before the rate limit is counted.
        let body = http::json_body(&req)?;
        flows::throttle_ip(&deps.store, &deps.limits, &cx.source_ip).await?;
        let user = flows::register(&deps.store, &deps.verification, body, cx.correlation_id.as_str()).await?;
        json(StatusCode::CREATED, &user)
    })
    .await
}
