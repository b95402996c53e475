//! The OpenAPI document of the whole API: every HTTP function's `operation()` (declared
//! next to its handler, from its Rust types), added up. The committed copy that
//! `GET /openapi.json` serves is `functions/api/openapi/openapi.json`; the
//! `openapi_document_is_current` test checks it and `make openapi` rewrites it.

use bazaar_openapi::Operation;
use serde_json::Value;

/// Where the served document is committed, from the workspace root.
pub const COMMITTED: &str = "functions/api/openapi/openapi.json";

const DESCRIPTION: &str = "\
Bazaar's marketplace and reservations API: auth (RS256 JWT, roles and permissions), catalog \
and stock, orders, time-slot reservations, payments, notifications and reports.

**Authentication.** `POST /auth/login` returns an access token; send it as \
`Authorization: Bearer <token>`. Routes without a lock are public.

**Errors.** Every 4xx and 5xx a function sends is `application/problem+json` (RFC 9457) with a \
stable `type` (`urn:bazaar:problem:<slug>`) and the request's `correlation_id`. API Gateway \
itself answers a refused token (401/403) or its throttle (429) with `{\"message\": ...}`.

**Pagination.** List routes take `limit` and `cursor` and return `items` with `next_cursor` \
(null on the last page): pass it back as `cursor` for the next page.";

/// Every HTTP operation, in template.yaml's order (devstack's `http_functions!`).
pub fn operations() -> Vec<Operation> {
    macro_rules! collect {
        ($($krate:ident),* $(,)?) => {
            vec![$($krate::operation()),*]
        };
    }
    devstack::http_functions!(collect)
}

/// The document, as `GET /openapi.json` serves it.
pub fn document() -> Value {
    bazaar_openapi::document("Bazaar API", env!("CARGO_PKG_VERSION"), DESCRIPTION, &operations())
}
