//! `GET /reservations`: the caller's bookings; `?scope=owned` (`reservations:manage`) the
//! bookings of the caller's resources; `?scope=all` (`reservations:read_all`) by `?date=`
//! and/or `?resource=`. `?limit=`, `?cursor=` (signed).

use bazaar_aws::cursor::CursorSecret;
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{self, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use reservations_core::ReservationsStore;
use reservations_core::flows::reservations::{ListQuery, list_reservations, listing};

pub const DEFAULT_LIMIT: i32 = 20;
pub const MAX_LIMIT: i32 = 100;

pub struct Deps {
    pub store: ReservationsStore,
    pub cursors: CursorSecret,
}

impl Deps {
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps { store: ReservationsStore::from_env(config, env)?, cursors: CursorSecret::from_env(config, env)? })
    }

    pub async fn from_env() -> anyhow::Result<Deps> {
        Self::new(&bazaar_runtime::sdk_config().await, &Env::process())
    }
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let query = ListQuery {
            scope: http::query_param(&req, "scope"),
            resource: http::query_param(&req, "resource"),
            date: http::query_param(&req, "date"),
        };
        let limit = http::limit_param(&req, DEFAULT_LIMIT, MAX_LIMIT)?;
        let cursor = http::query_param(&req, "cursor");
        let listing = listing(&deps.store, &identity, &query).await?;
        let page =
            list_reservations(&deps.store, &*deps.cursors.key().await?, &listing, limit, cursor.as_deref()).await?;
        json(StatusCode::OK, &page)
    })
    .await
}
