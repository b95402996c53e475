//! `make secrets` and `make rotate-jwt` against moto's SSM through the real SDK: every
//! secret is created once and then left alone, and a rotation keeps tokens of the old key
//! verifying until the old key is retired.

use aws_sdk_ssm::Client;
use bazaar_testkit::{Moto, unique_stage};
use devstack::secrets::{self, Ensured, StageSecrets};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

async fn ssm() -> Client {
    Client::new(&Moto::shared().sdk_config().await)
}

async fn value(ssm: &Client, name: &str) -> String {
    let out = ssm.get_parameter().name(name).with_decryption(true).send().await.expect("parameter exists");
    out.parameter().and_then(|p| p.value()).expect("a value").to_owned()
}

async fn kind(ssm: &Client, name: &str) -> String {
    let out = ssm.get_parameter().name(name).send().await.expect("parameter exists");
    out.parameter().and_then(|p| p.r#type()).map(|t| t.as_str().to_owned()).expect("a type")
}

/// A token signed with the stage's current signing key.
async fn token(ssm: &Client, names: &StageSecrets) -> String {
    let signing: Value = serde_json::from_str(&value(ssm, &names.signing_key).await).expect("json");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = signing["kid"].as_str().map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(signing["private_key_pem"].as_str().expect("pem").as_bytes()).expect("key");
    let claims = json!({ "sub": "u1", "exp": chrono::Utc::now().timestamp() + 600 });
    auth_core::jwt_crypto::install();
    jsonwebtoken::encode(&header, &claims, &key).expect("signed")
}

/// Whether `token` verifies against the stage's published JWKS (by its kid).
async fn verifies(ssm: &Client, names: &StageSecrets, token: &str) -> bool {
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&value(ssm, &names.public_keys).await).expect("jwks");
    let kid = jsonwebtoken::decode_header(token).expect("header").kid.expect("kid");
    let Some(jwk) = jwks.find(&kid) else { return false };
    let key = DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    auth_core::jwt_crypto::install();
    jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
}

#[tokio::test]
async fn secrets_creates_every_missing_secret_once_and_never_changes_one() {
    let ssm = ssm().await;
    let names = StageSecrets::for_stage(&unique_stage());
    let first = secrets::ensure(&ssm, &names).await.expect("ensure");
    assert!(first.iter().all(|(_, what)| *what == Ensured::Created), "{first:?}");
    assert_eq!(first.len(), 5);
    for (name, expected) in [
        (&names.signing_key, "SecureString"),
        (&names.public_keys, "String"),
        (&names.webhook_secret, "SecureString"),
        (&names.cursor_secret, "SecureString"),
        (&names.link_key, "SecureString"),
    ] {
        assert_eq!(kind(&ssm, name).await, expected, "{name}");
    }
    let all = [&names.signing_key, &names.public_keys, &names.webhook_secret, &names.cursor_secret, &names.link_key];
    let before = futures::future::join_all(all.map(|n| value(&ssm, n))).await;
    assert!(before[2].len() >= 32 && before[3].len() >= 32 && before[2] != before[3]);
    assert!(bazaar_runtime::links::LinkKey::parse(&before[4]).is_ok() && before[4] != before[3]);

    let second = secrets::ensure(&ssm, &names).await.expect("ensure again");
    assert!(second.iter().all(|(_, what)| *what == Ensured::Kept), "{second:?}");
    let after = futures::future::join_all(all.map(|n| value(&ssm, n))).await;
    assert_eq!(before, after, "nothing was overwritten");
    assert!(verifies(&ssm, &names, &token(&ssm, &names).await).await, "the JWKS holds the signing key");
}

#[tokio::test]
async fn secrets_completes_a_stage_that_has_some_of_them() {
    let ssm = ssm().await;
    let names = StageSecrets::for_stage(&unique_stage());
    let webhook = "whsec_set_by_the_provider_0123456789";
    ssm.put_parameter()
        .name(&names.webhook_secret)
        .value(webhook)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("put");
    let report = secrets::ensure(&ssm, &names).await.expect("ensure");
    assert!(report.contains(&(names.webhook_secret.clone(), Ensured::Kept)), "{report:?}");
    assert!(report.contains(&(names.cursor_secret.clone(), Ensured::Created)), "{report:?}");
    assert_eq!(value(&ssm, &names.webhook_secret).await, webhook, "the provider's secret stays");

    // A JWKS that lacks the signing key (published by hand, say) gets it added.
    ssm.put_parameter()
        .name(&names.public_keys)
        .value(r#"{"keys": []}"#)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .expect("put");
    let report = secrets::ensure(&ssm, &names).await.expect("ensure");
    assert!(report.contains(&(names.public_keys.clone(), Ensured::Extended)), "{report:?}");
    assert!(verifies(&ssm, &names, &token(&ssm, &names).await).await);
}

#[tokio::test]
async fn rotating_keeps_old_tokens_valid_until_the_old_key_is_retired() {
    let ssm = ssm().await;
    let names = StageSecrets::for_stage(&unique_stage());
    assert!(secrets::rotate_jwt(&ssm, &names).await.is_err(), "nothing to rotate before make secrets");
    secrets::ensure(&ssm, &names).await.expect("ensure");
    let old_token = token(&ssm, &names).await;

    let rotation = secrets::rotate_jwt(&ssm, &names).await.expect("rotate");
    assert_ne!(rotation.previous_kid, rotation.new_kid);
    assert_eq!(rotation.published, [rotation.previous_kid.clone(), rotation.new_kid.clone()]);
    let new_token = token(&ssm, &names).await;
    let kid_of = |t: &str| jsonwebtoken::decode_header(t).expect("header").kid.expect("kid");
    assert_eq!(kid_of(&new_token), rotation.new_kid, "new tokens are signed with the new key");
    assert!(verifies(&ssm, &names, &old_token).await, "tokens of the old key still verify");
    assert!(verifies(&ssm, &names, &new_token).await);

    let dropped = secrets::retire_jwt(&ssm, &names).await.expect("retire");
    assert_eq!(dropped, std::slice::from_ref(&rotation.previous_kid));
    assert!(!verifies(&ssm, &names, &old_token).await, "retired: the old key's tokens no longer verify");
    assert!(verifies(&ssm, &names, &new_token).await);
    assert!(secrets::retire_jwt(&ssm, &names).await.expect("retire again").is_empty());
}
