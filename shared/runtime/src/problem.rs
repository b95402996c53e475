//! RFC 9457 `application/problem+json` errors: the one wire shape of every 4xx and 5xx a
//! Bazaar function returns. Details are written for the caller; internal errors never leak.

use http::StatusCode;
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// One invalid field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// `urn:bazaar:problem:<slug>`: stable, machine-readable kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Filled in by the HTTP wrapper so a caller can quote it to support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Seconds, sent as the `Retry-After` header (429 and 503).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Problem {
        Problem {
            kind: format!("urn:bazaar:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            correlation_id: None,
            retry_after: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").with_detail(detail)
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Problem {
        let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid request")
            .with_detail("one or more fields are invalid");
        p.errors = errors;
        p
    }

    /// 422 for a single field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Problem {
        Problem::validation(vec![FieldError::new(field, message)])
    }

    /// 422: an `Idempotency-Key` the caller already sent with another body.
    pub fn idempotency_key_reused() -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused", "Idempotency key reused")
            .with_detail("this Idempotency-Key was already used with a different request body")
    }

    pub fn unauthorized() -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized")
            .with_detail("a valid access token is required")
    }

    pub fn forbidden() -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden")
            .with_detail("you do not have permission for this action")
    }

    pub fn not_found() -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
    }

    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", "Conflict").with_detail(detail)
    }

    pub fn too_many_requests(retry_after_seconds: u64) -> Problem {
        let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests")
            .with_detail("slow down and retry later");
        p.retry_after = Some(retry_after_seconds.max(1));
        p
    }

    pub fn payload_too_large(limit: usize) -> Problem {
        Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Payload too large")
            .with_detail(format!("the body must be at most {limit} bytes"))
    }

    pub fn unsupported_media_type() -> Problem {
        Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type")
            .with_detail("send the body as application/json")
    }

    /// 500: says nothing of the cause; the correlation id ties it to the logs.
    pub fn internal() -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal server error")
            .with_detail("something went wrong on our side; quote the correlation id if you report it")
    }

    /// 503: a dependency (key store, database) is unavailable right now.
    pub fn unavailable() -> Problem {
        let mut p = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable")
            .with_detail("try again shortly");
        p.retry_after = Some(5);
        p
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.title)
    }
}

impl std::error::Error for Problem {}

/// Declares a service's error enum and its one mapping to the wire (`From<Enum> for
/// ApiError`). `shared [...]` names the kinds of failure the service has in common with the
/// others: each comes with its payload, its `Display` text and its problem, the same in every
/// service. The service's own variants follow, written as usual with thiserror's `#[error]`,
/// and `problems { ... }` gives their problems as match arms yielding a [`Problem`].
///
/// The shared kinds (a doc comment may precede each, to say what it means in the service):
/// - `BadRequest(String)`: 400 `bad-request`, the string as detail.
/// - `Invalid(Vec<FieldError>)`: 422 `validation`; also writes `Enum::invalid(field, message)`.
/// - `IdempotencyKeyReused`: 422 `idempotency-key-reused`.
/// - `Forbidden`: 403 `forbidden`.
/// - `NotFound`: 404 `not-found`, without detail.
/// - `Conflict(String)`: 409 `conflict`, the string as detail.
/// - `Unexpected(#[from] anyhow::Error)`: a 500 whose cause is logged, never sent.
///
/// The enum derives `Debug` and `thiserror::Error` (the crate depends on `thiserror`, and on
/// `anyhow` for `Unexpected`); further attributes, derives included, go before `enum`.
///
/// ```ignore
/// bazaar_runtime::service_error! {
///     /// Every way a reservations operation can fail.
///     pub enum ReservationsError {
///         shared [BadRequest, Invalid, NotFound, Unexpected],
///         #[error("a requested slot is taken")]
///         SlotTaken,
///     }
///     problems {
///         ReservationsError::SlotTaken => Problem::new(StatusCode::CONFLICT, "slot-taken", "Slot taken"),
///     }
/// }
/// ```
#[macro_export]
macro_rules! service_error {
    (
        $(#[$attr:meta])*
        $vis:vis enum $name:ident {
            shared [$($shared:tt)*]
            $(, $($own:tt)*)?
        }
        $(problems { $($problems:tt)* })?
    ) => {
        $crate::__service_error! {
            $name [$($shared)*] [] [] []
            [$(#[$attr])*] [$vis] [$($($own)*)?] [$($($problems)*)?]
        }
    };
}

/// [`service_error!`]'s worker. Its state: the enum's name, the shared kinds still to add,
/// the variants and the match arms so far, `Unexpected`'s slot, then what it passes through
/// (attributes, visibility, own variants, own problems). Each kind's rule says its variant
/// and its arm; `@push` adds them to the lists; the last rule writes the enum and the mapping.
#[doc(hidden)]
#[macro_export]
macro_rules! __service_error {
    ($name:ident [$(#[$doc:meta])* BadRequest $(, $($rest:tt)*)?] $($state:tt)*) => {
        $crate::__service_error! { @push $name [$($($rest)*)?]
            [$(#[$doc])* #[error("bad request: {0}")] BadRequest(::std::string::String)]
            [$name::BadRequest(detail) => $crate::Problem::bad_request(detail)]
            $($state)*
        }
    };
    ($name:ident [$(#[$doc:meta])* Invalid $(, $($rest:tt)*)?] $($state:tt)*) => {
        impl $name {
            /// One invalid field (422).
            pub fn invalid(
                field: impl ::std::convert::Into<::std::string::String>,
                message: impl ::std::convert::Into<::std::string::String>,
            ) -> $name {
                $name::Invalid(::std::vec![$crate::problem::FieldError::new(field, message)])
            }
        }
        $crate::__service_error! { @push $name [$($($rest)*)?]
            [$(#[$doc])* #[error("invalid input")] Invalid(::std::vec::Vec<$crate::problem::FieldError>)]
            [$name::Invalid(errors) => $crate::Problem::validation(errors)]
            $($state)*
        }
    };
    ($name:ident [$(#[$doc:meta])* IdempotencyKeyReused $(, $($rest:tt)*)?] $($state:tt)*) => {
        $crate::__service_error! { @push $name [$($($rest)*)?]
            [$(#[$doc])* #[error("the idempotency key was used with another body")] IdempotencyKeyReused]
            [$name::IdempotencyKeyReused => $crate::Problem::idempotency_key_reused()]
            $($state)*
        }
    };
    ($name:ident [$(#[$doc:meta])* Forbidden $(, $($rest:tt)*)?] $($state:tt)*) => {
        $crate::__service_error! { @push $name [$($($rest)*)?]
            [$(#[$doc])* #[error("forbidden")] Forbidden]
            [$name::Forbidden => $crate::Problem::forbidden()]
            $($state)*
        }
    };
    ($name:ident [$(#[$doc:meta])* NotFound $(, $($rest:tt)*)?] $($state:tt)*) => {
        $crate::__service_error! { @push $name [$($($rest)*)?]
            [$(#[$doc])* #[error("not found")] NotFound]
            [$name::NotFound => $crate::Problem::not_found()]
            $($state)*
        }
    };
    ($name:ident [$(#[$doc:meta])* Conflict $(, $($rest:tt)*)?] $($state:tt)*) => {
        $crate::__service_error! { @push $name [$($($rest)*)?]
            [$(#[$doc])* #[error("conflict: {0}")] Conflict(::std::string::String)]
            [$name::Conflict(detail) => $crate::Problem::conflict(detail)]
            $($state)*
        }
    };
    // thiserror names the binding of `#[error(transparent)]` after the keyword's span and
    // the pattern after its derive's: both must come from one transcription, the last.
    ($name:ident [$(#[$doc:meta])* Unexpected $(, $($rest:tt)*)?] $variants:tt $arms:tt [] $($state:tt)*) => {
        $crate::__service_error! { $name [$($($rest)*)?] $variants $arms [Unexpected [$(#[$doc])*]] $($state)* }
    };
    ($name:ident [$(#[$doc:meta])* $other:ident $($rest:tt)*] $($state:tt)*) => {
        ::std::compile_error!(::std::concat!(
            "service_error!: `", ::std::stringify!($other), "` is no shared kind (BadRequest, Invalid, ",
            "IdempotencyKeyReused, Forbidden, NotFound, Conflict, Unexpected); declare it after `shared [...],`"
        ));
    };
    (@push $name:ident $rest:tt [$($variant:tt)*] [$($arm:tt)*] [$($variants:tt)*] [$($arms:tt)*] $($state:tt)*) => {
        $crate::__service_error! { $name $rest [$($variants)* $($variant)*,] [$($arms)* $($arm)*,] $($state)* }
    };
    (
        $name:ident [] [$($variants:tt)*] [$($arms:tt)*] [$($unexpected:ident [$($udoc:tt)*])?]
        [$($attr:tt)*] [$vis:vis] [$($own:tt)*] [$($problems:tt)*]
    ) => {
        $($attr)*
        #[derive(Debug, ::thiserror::Error)]
        $vis enum $name {
            $($variants)*
            $($own)*
            $($($udoc)* #[error(transparent)] $unexpected(#[from] ::anyhow::Error),)?
        }

        impl ::std::convert::From<$name> for $crate::ApiError {
            fn from(e: $name) -> $crate::ApiError {
                let problem = match e {
                    $($arms)*
                    $($problems)*
                    $($name::$unexpected(error) => return $crate::ApiError::Unexpected(error),)?
                };
                $crate::ApiError::Problem(problem)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;

    crate::service_error! {
        /// Every shared kind and one of its own.
        pub enum ShopError {
            shared [
                BadRequest,
                /// Doc comments pass through.
                Invalid,
                IdempotencyKeyReused,
                Forbidden,
                NotFound,
                Conflict,
                Unexpected,
            ],
            #[error("closed on {0}")]
            Closed(String),
        }
        problems {
            ShopError::Closed(day) => Problem::conflict(format!("closed on {day}")),
        }
    }

    fn problem(e: ShopError) -> Problem {
        match ApiError::from(e) {
            ApiError::Problem(p) => p,
            ApiError::Unexpected(e) => panic!("unexpected: {e}"),
        }
    }

    #[test]
    fn each_shared_kind_is_the_same_problem_in_every_service() {
        let cases = [
            (ShopError::BadRequest("no cursor".into()), 400, "bad-request", Some("no cursor")),
            (ShopError::invalid("name", "required"), 422, "validation", Some("one or more fields are invalid")),
            (
                ShopError::IdempotencyKeyReused,
                422,
                "idempotency-key-reused",
                Some("this Idempotency-Key was already used with a different request body"),
            ),
            (ShopError::Forbidden, 403, "forbidden", Some("you do not have permission for this action")),
            (ShopError::NotFound, 404, "not-found", None),
            (ShopError::Conflict("version".into()), 409, "conflict", Some("version")),
            (ShopError::Closed("Sunday".into()), 409, "conflict", Some("closed on Sunday")),
        ];
        for (error, status, slug, detail) in cases {
            let p = problem(error);
            assert_eq!(
                (p.status, p.kind.as_str(), p.detail.as_deref()),
                (status, &*format!("urn:bazaar:problem:{slug}"), detail)
            );
        }
        let invalid = problem(ShopError::invalid("name", "required"));
        assert_eq!(invalid.errors, vec![FieldError::new("name", "required")]);
    }

    #[test]
    fn an_unexpected_error_stays_unexpected_and_says_its_cause() {
        let e = ShopError::from(anyhow::anyhow!("table gone").context("reading the shop"));
        assert_eq!(
            (e.to_string(), format!("{e:#}")),
            ("reading the shop".into(), "reading the shop: table gone".into())
        );
        assert_eq!(std::error::Error::source(&e).map(ToString::to_string).as_deref(), Some("table gone"));
        assert!(matches!(ApiError::from(e), ApiError::Unexpected(_)));
    }

    #[test]
    fn the_shared_kinds_read_alike_in_the_logs() {
        assert_eq!(ShopError::BadRequest("x".into()).to_string(), "bad request: x");
        assert_eq!(ShopError::invalid("a", "b").to_string(), "invalid input");
        assert_eq!(ShopError::NotFound.to_string(), "not found");
        assert_eq!(ShopError::Conflict("x".into()).to_string(), "conflict: x");
        assert_eq!(ShopError::Closed("Monday".into()).to_string(), "closed on Monday");
    }
}
