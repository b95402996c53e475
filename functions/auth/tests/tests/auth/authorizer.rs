//! The authorizer verifies RS256 access tokens strictly; every forgery gets "Unauthorized"
//! (API Gateway's 401).

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

use crate::support::*;

fn event(authorization: Option<&str>) -> LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request> {
    let mut payload = json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/auth/me",
        "identitySource": authorization.map(|a| vec![a]).unwrap_or_default(),
        "routeKey": "GET /auth/me", "rawPath": "/auth/me", "rawQueryString": "",
        "headers": {},
        "requestContext": { "http": { "method": "GET", "path": "/auth/me", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1", "userAgent": "t" },
                            "requestId": "r", "routeKey": "GET /auth/me", "stage": "$default", "timeEpoch": 0 }
    });
    if let Some(a) = authorization {
        payload["headers"]["authorization"] = json!(a);
    }
    LambdaEvent::new(serde_json::from_value(payload).expect("authorizer event"), Context::default())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn good_claims() -> Value {
    let now = now();
    json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": now + 600, "iat": now, "nbf": now,
            "jti": "j1", "email": "ana@example.com", "roles": ["customer"], "permissions": [] })
}

fn sign(claims: &Value, key_file: &str, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(fixture(key_file).as_bytes()).expect("pem");
    auth_core::jwt_crypto::install();
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

/// `claims` signed with key A under its kid, as the login signs them.
fn sign_a(claims: &Value) -> String {
    sign(claims, "key-a.pem", Some("test-key-a"))
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().expect("object").remove(key);
    claims
}

async fn verdict(app: &TestApp, token: &str) -> Result<auth_authorizer::Response, String> {
    auth_authorizer::handler(&app.authorizer(), event(Some(&format!("Bearer {token}"))))
        .await
        .map_err(|d| format!("{}: {}", d.error_type, d.error_message))
}

#[tokio::test]
async fn a_valid_token_is_authorized_with_the_identity_as_context() {
    let app = TestApp::spawn().await;
    let ok = verdict(&app, &sign_a(&good_claims())).await.expect("authorized");
    assert!(ok.is_authorized);
    assert_eq!(ok.context["sub"], "user-1");
    assert_eq!(ok.context["roles"], "customer");
    // After a rotation the JWKS lists both keys: tokens of either verify.
    let rotated = verdict(&app, &sign(&good_claims(), "key-b.pem", Some("test-key-b"))).await.expect("authorized");
    assert!(rotated.is_authorized);
}

#[tokio::test]
async fn tokens_issued_by_login_pass_the_authorizer() {
    let app = TestApp::spawn().await;
    let (_, _, pair) = app.signed_up_customer().await;
    let ok = verdict(&app, pair["access_token"].as_str().expect("token")).await.expect("authorized");
    assert!(ok.is_authorized);
}

#[tokio::test]
async fn every_forged_token_is_unauthorized() {
    let app = TestApp::spawn().await;
    let good = sign_a(&good_claims());
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let alg_none =
        format!("{}.{}.", b64(&json!({ "alg": "none", "typ": "JWT", "kid": "test-key-a" })), b64(&good_claims()));
    // Made by hand: the functions' jsonwebtoken provider signs RS256 only.
    let hs256 = {
        use hmac::{KeyInit as _, Mac as _};
        let signed =
            format!("{}.{}", b64(&json!({ "alg": "HS256", "typ": "JWT", "kid": "test-key-a" })), b64(&good_claims()));
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(fixture("key-a.public.pem").as_bytes()).expect("hmac key");
        mac.update(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    };
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        let admin = with(good_claims(), "roles", json!(["admin"]));
        format!("{}.{}.{}", parts[0], b64(&admin), parts[2])
    };
    let now = now();
    let forgeries = [
        ("alg none", alg_none),
        ("HS256 signed with the public key", hs256),
        ("expired", sign_a(&with(good_claims(), "exp", json!(now - 3600)))),
        ("not yet valid", sign_a(&with(good_claims(), "nbf", json!(now + 3600)))),
        ("wrong iss", sign_a(&with(good_claims(), "iss", json!("https://evil.example")))),
        ("wrong aud", sign_a(&with(good_claims(), "aud", json!("another-api")))),
        ("unknown kid", sign(&good_claims(), "key-a.pem", Some("no-such-key"))),
        ("no kid", sign(&good_claims(), "key-a.pem", None)),
        ("kid of the other key", sign(&good_claims(), "key-a.pem", Some("test-key-b"))),
        ("tampered payload", tampered),
        ("no sub", sign_a(&without(good_claims(), "sub"))),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (name, token) in forgeries {
        let v = verdict(&app, &token).await;
        assert_eq!(v.err().as_deref(), Some("Unauthorized: Unauthorized"), "{name} was not refused");
    }
}

#[tokio::test]
async fn missing_or_non_bearer_authorization_is_unauthorized() {
    let app = TestApp::spawn().await;
    for header in [None, Some("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), Some("Bearer "), Some("Bearer")] {
        let r = auth_authorizer::handler(&app.authorizer(), event(header)).await;
        assert_eq!(r.err().map(|d| d.error_message), Some("Unauthorized".to_owned()), "{header:?}");
    }
}

#[tokio::test]
async fn jwks_publishes_only_public_members_of_every_active_key() {
    let app = TestApp::spawn().await;
    let r = auth_jwks::handler(&app.jwks(), request("GET", "/.well-known/jwks.json", None, "203.0.113.1", None)).await;
    assert_eq!(r.status(), 200);
    let jwks = body_json(&r);
    let kids: Vec<_> = jwks["keys"].as_array().expect("keys").iter().map(|k| k["kid"].as_str().unwrap_or("")).collect();
    assert_eq!(kids, ["test-key-a", "test-key-b"]);
    for key in jwks["keys"].as_array().expect("keys") {
        assert!(key.get("d").is_none() && key.get("p").is_none(), "private member published");
        assert_eq!(key["alg"], "RS256");
    }
}
