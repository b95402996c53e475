//! A test app: a stack planned from template.yaml with a unique stage, its auth part
//! provisioned into the shared moto_server, with test signing keys in SSM, and the auth
//! functions' dependencies built against it. Requests are API Gateway v2 events, as in
//! production.

#![allow(dead_code)]

use std::path::PathBuf;

use auth_core::AuthStore;
use auth_core::keys::{PublicKeySource, SigningKeySource};
use auth_core::settings::{RateLimits, ResetSettings, TokenSettings, VerificationSettings};
use aws_sdk_ssm::types::ParameterType;
use bazaar_runtime::Identity;
pub use bazaar_runtime::links::{LinkKey, LinkPurpose};
pub use bazaar_testkit::apigw::{Req, assert_problem, body_json, text};
use lambda_http::Request;
use serde_json::{Value, json};

pub const ISSUER: &str = "https://api.bazaar.test";
/// The cap of `POST /auth/password/forgot` per email address and day in these tests.
pub const RESETS_PER_EMAIL_PER_DAY: u64 = 3;
/// The cap of `POST /auth/email/verification` per user and day in these tests.
pub const VERIFICATIONS_PER_USER_PER_DAY: u64 = 2;
pub const AUDIENCE: &str = "bazaar-api";
/// The template parameters naming the SSM parameters of the keys.
const SIGNING_KEY: &str = "JwtSigningKeyParameter";
const PUBLIC_KEYS: &str = "JwtPublicKeysParameter";

/// This package's folder, as cargo tells the running test.
pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
}

pub fn fixture(name: &str) -> String {
    let path = manifest_dir().join("../core/tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

devstack::test_app!(auth { pub limits: RateLimits });

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(RateLimits { per_ip: 1000, window_seconds: 900, login_failures_per_account: 5 }).await
    }

    pub async fn spawn_with(limits: RateLimits) -> TestApp {
        let per_ip = limits.per_ip.to_string();
        let window = limits.window_seconds.to_string();
        let failures = limits.login_failures_per_account.to_string();
        let parameters = [
            ("JwtIssuer", ISSUER),
            ("AuthRateLimitPerIp", &per_ip),
            ("AuthRateLimitWindowSeconds", &window),
            ("LoginFailuresPerAccount", &failures),
        ];
        let app = TestApp { service: Self::service_stack(&parameters).await, limits };
        app.put_keys(&fixture("key-a.json"), &fixture("jwks.json")).await;
        app
    }

    /// Stores the signing key and the JWKS where the template's parameters name them.
    pub async fn put_keys(&self, signing: &str, jwks: &str) {
        self.put_parameter(SIGNING_KEY, signing, ParameterType::SecureString).await.expect("signing key");
        self.put_parameter(PUBLIC_KEYS, jwks, ParameterType::String).await.expect("public keys");
    }

    /// Sets the `expires_at` of the item `pk`/`sk` a second into the past, through the SDK
    /// (time passing, without waiting for it).
    pub async fn expire(&self, pk: &str, sk: &str) {
        use aws_sdk_dynamodb::types::AttributeValue;
        aws_sdk_dynamodb::Client::new(&self.config)
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .key("sk", AttributeValue::S(sk.to_owned()))
            .update_expression("SET expires_at = :past")
            .expression_attribute_values(":past", AttributeValue::N((chrono::Utc::now().timestamp() - 1).to_string()))
            .send()
            .await
            .expect("expire the item");
    }

    pub fn store(&self) -> AuthStore {
        AuthStore::new(aws_sdk_dynamodb::Client::new(&self.config), &self.table)
    }

    pub fn tokens(&self) -> TokenSettings {
        TokenSettings {
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            access_ttl_seconds: 900,
            refresh_ttl_seconds: 3600,
        }
    }

    fn signing(&self) -> SigningKeySource {
        SigningKeySource::new(aws_sdk_ssm::Client::new(&self.config), self.parameter(SIGNING_KEY).expect(SIGNING_KEY))
    }

    pub fn public_keys(&self) -> PublicKeySource {
        PublicKeySource::new(aws_sdk_ssm::Client::new(&self.config), self.parameter(PUBLIC_KEYS).expect(PUBLIC_KEYS))
    }

    pub fn register(&self) -> auth_register::Deps {
        auth_register::Deps { store: self.store(), limits: self.limits.clone(), verification: self.verification() }
    }
    pub fn verification(&self) -> VerificationSettings {
        VerificationSettings { ttl_seconds: 3600, per_user_per_day: VERIFICATIONS_PER_USER_PER_DAY }
    }
    pub fn email_verify(&self) -> auth_email_verify::Deps {
        auth_email_verify::Deps { store: self.store(), links: self.link_secret() }
    }
    pub fn email_verification(&self) -> auth_email_verification::Deps {
        auth_email_verification::Deps { store: self.store(), settings: self.verification() }
    }
    pub fn login(&self) -> auth_login::Deps {
        auth_login::Deps {
            store: self.store(),
            keys: self.signing(),
            tokens: self.tokens(),
            limits: self.limits.clone(),
        }
    }
    pub fn refresh(&self) -> auth_refresh::Deps {
        auth_refresh::Deps { store: self.store(), keys: self.signing(), tokens: self.tokens() }
    }
    pub fn logout(&self) -> auth_logout::Deps {
        auth_logout::Deps { store: self.store() }
    }
    pub fn me(&self) -> auth_me::Deps {
        auth_me::Deps { store: self.store() }
    }
    pub fn users_get(&self) -> auth_users_get::Deps {
        auth_users_get::Deps { store: self.store() }
    }
    /// auth-on-roles as deployed: its role's credentials, its template environment.
    pub fn on_roles(&self) -> auth_on_roles::Deps {
        bazaar_testkit::deps!(self, auth_on_roles)
    }
    pub fn forgot(&self) -> auth_password_forgot::Deps {
        auth_password_forgot::Deps {
            store: self.store(),
            limits: self.limits.clone(),
            reset: ResetSettings { ttl_seconds: 3600, per_email_per_day: RESETS_PER_EMAIL_PER_DAY },
        }
    }
    pub fn reset(&self) -> auth_password_reset::Deps {
        auth_password_reset::Deps { store: self.store(), links: self.link_secret() }
    }
    fn link_secret(&self) -> bazaar_aws::ssm::LinkSecret {
        let name = self.parameter("LinkKeyParameter").expect("LinkKeyParameter");
        bazaar_aws::ssm::LinkSecret::new(aws_sdk_ssm::Client::new(&self.config), name)
    }

    /// The stage's link key, as notifications holds it: tests make the links it would mail.
    pub async fn link_key(&self) -> LinkKey {
        LinkKey::parse(&self.secret("LinkKeyParameter").await.expect("the link key")).expect("a link key")
    }
    pub fn jwks(&self) -> auth_jwks::Deps {
        auth_jwks::Deps { keys: self.public_keys() }
    }
    pub fn authorizer(&self) -> auth_authorizer::Deps {
        auth_authorizer::Deps { keys: self.public_keys(), issuer: ISSUER.into(), audience: AUDIENCE.into() }
    }
    pub fn publisher(&self, bus: &str) -> auth_publisher::Deps {
        auth_publisher::Deps { events: aws_sdk_eventbridge::Client::new(&self.config), bus: bus.to_owned() }
    }

    /// Registers and logs in a customer; returns (email, password, token pair JSON).
    pub async fn signed_up_customer(&self) -> (String, String, Value) {
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let password = "correct horse 42".to_owned();
        let body = json!({ "email": email, "password": password });
        let r = auth_register::handler(&self.register(), post("/auth/register", &body)).await;
        assert_eq!(r.status(), 201, "{}", text(&r));
        let r = auth_login::handler(&self.login(), post("/auth/login", &body)).await;
        assert_eq!(r.status(), 200, "{}", text(&r));
        (email, password, body_json(&r))
    }

    /// Every outbox item in the auth table (test-only scan).
    pub async fn outbox(&self) -> Vec<bazaar_aws::outbox::OutboxItem> {
        bazaar_testkit::events::outbox(&self.config, &self.table).await
    }
}

/// An API Gateway v2 request as the gateway would send it, from `ip`.
pub fn request(method: &str, path: &str, body: Option<&str>, ip: &str, identity: Option<&Identity>) -> Request {
    let mut req = Req::new(method, path).source_ip(ip).identity(identity);
    if let Some(body) = body {
        req = req.json_text(body);
    }
    req.build()
}

pub fn post(path: &str, body: &Value) -> Request {
    request("POST", path, Some(&body.to_string()), "203.0.113.1", None)
}

pub fn identity_of(claims: &Value) -> Identity {
    let list = |k: &str| {
        claims[k]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    Identity {
        sub: claims["sub"].as_str().unwrap_or_default().to_owned(),
        email: claims["email"].as_str().unwrap_or_default().to_owned(),
        roles: list("roles"),
        permissions: list("permissions"),
    }
}

/// The claims of a JWT, without verifying it (tests read what was issued).
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&bytes).expect("claims JSON")
}
