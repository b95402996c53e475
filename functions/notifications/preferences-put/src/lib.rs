//! `PUT /notifications/preferences`: replaces the caller's channels. SMS needs an E.164
//! phone number (422 otherwise). A number not stored yet (or whose code is used up) is
//! stored unverified and texted a one-time code (`POST /notifications/preferences/phone/verify`
//! verifies it), at most `PHONE_CODES_PER_USER_PER_DAY` codes a day (429 beyond); no SMS
//! goes to it before.

use aws_sdk_sns::error::ProvideErrorMetadata;
use bazaar_runtime::config::Env;
use bazaar_runtime::http::{json, json_body, respond};
use bazaar_runtime::problem::FieldError;
use bazaar_runtime::{ApiError, Problem};
use chrono::{DateTime, Utc};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use notifications_core::phone::{self, Code, PendingCode, PhoneChange, PhoneSettings};
use notifications_core::{NotificationsStore, PhoneNumber, Preferences, PreferencesInput, mask};

pub struct Deps {
    pub store: NotificationsStore,
    /// Texts the codes.
    pub sns: aws_sdk_sns::Client,
    pub phone: PhoneSettings,
}

impl Deps {
    /// Built once at init from the SDK configuration and the function's settings.
    pub fn new(config: &aws_types::SdkConfig, env: &Env) -> anyhow::Result<Deps> {
        Ok(Deps {
            store: NotificationsStore::from_env(config, env)?,
            sns: aws_sdk_sns::Client::new(config),
            phone: PhoneSettings::from_env(env)?,
        })
    }
}

/// This route in the API's OpenAPI document.
pub fn operation() -> bazaar_openapi::Operation {
    bazaar_openapi::Operation::put(
        "/notifications/preferences",
        "putPreferences",
        "Set the caller's notification channels",
    )
    .access(bazaar_openapi::Access::SignedIn("their own preferences"))
    .describe(
        "Any signed-in user, for themselves: replaces the channels notifications use. `sms: true` needs \
         an E.164 `phone_number` (`+` then 7 to 15 digits, the first not 0); an invalid number is a 422 \
         even with SMS off. An empty `phone_number` counts as none. A number not stored before is stored \
         unverified (`phone_verified: false`) and texted a 6-digit code, which `POST \
         /notifications/preferences/phone/verify` takes: no SMS goes to a number before. Storing the same \
         unverified number again texts a new code only once the last one expired or was used up; more \
         than `PhoneCodesPerUserPerDay` codes a day is a 429 (and nothing is stored); a number the SMS \
         provider refuses is a 422.",
    )
    .json_body::<PreferencesInput>("The channels to use.")
    .returns::<Preferences>(200, "The stored preferences.")
    .problems(&[422])
}

pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    respond(req, |req, cx| async move {
        let identity = cx.identity(&req)?;
        let input: PreferencesInput = json_body(&req)?;
        let mut prefs = input.parse().map_err(|errors| {
            Problem::validation(
                errors.into_iter().map(|(field, message)| FieldError { field: field.to_owned(), message }).collect(),
            )
        })?;
        let now = Utc::now();
        let current = deps.store.preferences(&identity.sub).await?;
        let pending = deps.store.pending_code(&identity.sub).await?;
        match (phone::change(&current, pending.as_ref(), &prefs, now.timestamp()), prefs.phone_number.clone()) {
            (PhoneChange::SendCode, Some(number)) => {
                let code = text_code(deps, &identity.sub, &number, now).await?;
                deps.store.put_preferences_with_code(&identity.sub, &prefs, &code, now).await?;
            }
            (change, _) => {
                // A kept number keeps its state; no number is not verified.
                prefs.phone_verified = change == PhoneChange::Keep { verified: true };
                deps.store.put_preferences(&identity.sub, &prefs, now).await?;
            }
        }
        json(StatusCode::OK, &prefs)
    })
    .await
}

/// Takes one of the day's codes and texts a new code to `number`; what to store of it.
async fn text_code(
    deps: &Deps,
    user_id: &str,
    number: &PhoneNumber,
    now: DateTime<Utc>,
) -> Result<PendingCode, ApiError> {
    if !deps.store.take_phone_code(user_id, deps.phone.codes_per_day, now).await? {
        let tomorrow = now.date_naive().succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
        let wait = tomorrow.map_or(3600, |t| (t - now).num_seconds().max(1));
        return Err(Problem::too_many_requests(wait as u64).into());
    }
    let code = Code::generate();
    let sent = deps.sns.publish().phone_number(number.as_str()).message(code.sms_text()).send().await;
    match sent {
        Ok(_) => {
            tracing::info!(to = %mask::phone(number.as_str()), "verification code texted");
            Ok(PendingCode::new(number.as_str(), &code, now.timestamp()))
        }
        Err(e) if e.as_service_error().and_then(|s| s.code()).is_some_and(|c| c.starts_with("InvalidParameter")) => {
            Err(Problem::invalid_field("phone_number", "the SMS provider refuses this number").into())
        }
        Err(e) => {
            tracing::error!(error = %aws_sdk_sns::error::DisplayErrorContext(&e), "texting a verification code");
            Err(Problem::unavailable().into())
        }
    }
}
