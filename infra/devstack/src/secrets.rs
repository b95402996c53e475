//! A deployed stage's secrets in SSM Parameter Store, under the names the template's
//! parameters default to for that stage (`/bazaar/<stage>/…`):
//!
//! - [`ensure`] (`make secrets STAGE=…`) creates every secret the stage needs that does not
//!   exist yet and never changes one that does, so it is safe to run again at any time;
//! - [`rotate_jwt`] (`make rotate-jwt STAGE=…`) publishes a new public key next to the
//!   current ones and then makes the new key the signing key; tokens signed by the old key
//!   keep verifying;
//! - [`retire_jwt`] (`make rotate-jwt STAGE=… RETIRE=1`), once the longest-lived access
//!   token signed by an old key has expired, drops every public key but the signing key's.
//!
//! Secret values are never printed or logged, only parameter names and key ids.

use anyhow::Context as _;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::{DisplayErrorContext, ProvideErrorMetadata as _};
use aws_sdk_ssm::types::ParameterType;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use serde_json::{Value, json};

use crate::keys;

/// The SSM names of one stage's secrets (the template parameters' defaults for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSecrets {
    /// SecureString `{"kid", "private_key_pem"}` (`JwtSigningKeyParameter`).
    pub signing_key: String,
    /// String: the JWKS of every active public key (`JwtPublicKeysParameter`).
    pub public_keys: String,
    /// SecureString: the payment provider's webhook HMAC secret (`PaymentsWebhookSecretParameter`).
    pub webhook_secret: String,
    /// SecureString: the key that signs pagination cursors (`CursorSecretParameter`).
    pub cursor_secret: String,
    /// SecureString: the HMAC key of emailed links (`LinkKeyParameter`).
    pub link_key: String,
}

impl StageSecrets {
    pub fn for_stage(stage: &str) -> StageSecrets {
        StageSecrets {
            signing_key: format!("/bazaar/{stage}/jwt/signing-key"),
            public_keys: format!("/bazaar/{stage}/jwt/public-keys"),
            webhook_secret: format!("/bazaar/{stage}/payments/webhook-secret"),
            cursor_secret: format!("/bazaar/{stage}/cursor-secret"),
            link_key: format!("/bazaar/{stage}/links/key"),
        }
    }

    /// Each template parameter that names one of these secrets, with its name: the
    /// overrides that point a stage's functions at its own secrets.
    pub fn parameters(&self) -> [(&'static str, &str); 5] {
        [
            ("JwtSigningKeyParameter", &self.signing_key),
            ("JwtPublicKeysParameter", &self.public_keys),
            ("PaymentsWebhookSecretParameter", &self.webhook_secret),
            ("CursorSecretParameter", &self.cursor_secret),
            ("LinkKeyParameter", &self.link_key),
        ]
    }
}

/// What [`ensure`] did with one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    Created,
    /// It existed already and was left as it was.
    Kept,
    /// It existed and a key was added to it (the JWKS, for a signing key it lacked).
    Extended,
}

/// Creates every missing secret of the stage; `(parameter name, what happened)` each.
pub async fn ensure(ssm: &Client, names: &StageSecrets) -> anyhow::Result<Vec<(String, Ensured)>> {
    let mut report = Vec::new();
    let signing = match read(ssm, &names.signing_key).await? {
        Some(text) => {
            report.push((names.signing_key.clone(), Ensured::Kept));
            signing_key(&text).with_context(|| format!("{} is not a signing key", names.signing_key))?
        }
        None => {
            let key = new_key()?;
            let created = create(ssm, &names.signing_key, &key.signing_json(), ParameterType::SecureString).await?;
            if !created {
                // Created concurrently by someone else: use theirs.
                let text = read(ssm, &names.signing_key).await?.context("the signing key vanished")?;
                report.push((names.signing_key.clone(), Ensured::Kept));
                signing_key(&text)?
            } else {
                report.push((names.signing_key.clone(), Ensured::Created));
                key
            }
        }
    };
    let jwks = match read(ssm, &names.public_keys).await? {
        None => {
            create(ssm, &names.public_keys, &jwks_of(std::slice::from_ref(&signing.jwk)), ParameterType::String)
                .await?;
            Ensured::Created
        }
        Some(text) => {
            let mut keys = jwks_keys(&text).with_context(|| format!("{} is not a JWKS", names.public_keys))?;
            if keys.iter().any(|k| k["kid"] == signing.kid.as_str()) {
                Ensured::Kept
            } else {
                keys.push(signing.jwk.clone());
                overwrite(ssm, &names.public_keys, &jwks_of(&keys), ParameterType::String).await?;
                Ensured::Extended
            }
        }
    };
    report.push((names.public_keys.clone(), jwks));
    for name in [&names.webhook_secret, &names.cursor_secret, &names.link_key] {
        let created = create(ssm, name, &random_secret(), ParameterType::SecureString).await?;
        report.push((name.clone(), if created { Ensured::Created } else { Ensured::Kept }));
    }
    Ok(report)
}

/// What a rotation did: the key ids involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub previous_kid: String,
    pub new_kid: String,
    /// Every key id in the JWKS now.
    pub published: Vec<String>,
}

/// Publishes a new public key beside the current ones, then signs with it. The JWKS is
/// written first, so no verifier ever meets a token whose key it cannot find (and the
/// authorizer re-reads the JWKS when a token names a key id it has not cached).
pub async fn rotate_jwt(ssm: &Client, names: &StageSecrets) -> anyhow::Result<Rotation> {
    let current = read(ssm, &names.signing_key)
        .await?
        .with_context(|| format!("{} does not exist: run `make secrets` for this stage first", names.signing_key))?;
    let previous = signing_key(&current)?;
    let mut keys = match read(ssm, &names.public_keys).await? {
        Some(text) => jwks_keys(&text)?,
        None => vec![previous.jwk.clone()],
    };
    let next = new_key()?;
    keys.retain(|k| k["kid"] != next.kid.as_str());
    keys.push(next.jwk.clone());
    overwrite(ssm, &names.public_keys, &jwks_of(&keys), ParameterType::String).await?;
    overwrite(ssm, &names.signing_key, &next.signing_json(), ParameterType::SecureString).await?;
    Ok(Rotation { previous_kid: previous.kid, new_kid: next.kid, published: kids(&keys) })
}

/// Drops every public key but the signing key's; the key ids dropped.
pub async fn retire_jwt(ssm: &Client, names: &StageSecrets) -> anyhow::Result<Vec<String>> {
    let signing = signing_key(&read(ssm, &names.signing_key).await?.context("no signing key")?)?;
    let keys = jwks_keys(&read(ssm, &names.public_keys).await?.context("no public keys")?)?;
    let (kept, dropped): (Vec<Value>, Vec<Value>) = keys.into_iter().partition(|k| k["kid"] == signing.kid.as_str());
    let kept = if kept.is_empty() { vec![signing.jwk.clone()] } else { kept };
    overwrite(ssm, &names.public_keys, &jwks_of(&kept), ParameterType::String).await?;
    Ok(kids(&dropped))
}

/// A signing key with its id and public JWK.
struct SigningKey {
    kid: String,
    private_key_pem: String,
    jwk: Value,
}

impl SigningKey {
    fn of(key: &RsaPrivateKey) -> anyhow::Result<SigningKey> {
        let pem = key.to_pkcs8_pem(LineEnding::LF).context("encoding the key as PKCS#8")?.to_string();
        let material = keys::key_material(key, pem)?;
        let jwk = material.jwks["keys"][0].clone();
        Ok(SigningKey { kid: material.kid, private_key_pem: material.private_key_pem, jwk })
    }

    /// The signing parameter's value, as auth reads it.
    fn signing_json(&self) -> String {
        json!({ "kid": self.kid, "private_key_pem": self.private_key_pem }).to_string()
    }
}

fn new_key() -> anyhow::Result<SigningKey> {
    SigningKey::of(&keys::new_private_key()?)
}

fn signing_key(text: &str) -> anyhow::Result<SigningKey> {
    let value: Value = serde_json::from_str(text).context("not JSON")?;
    let pem = value["private_key_pem"].as_str().context("no private_key_pem")?;
    let key = RsaPrivateKey::from_pkcs8_pem(pem).context("private_key_pem is not a PKCS#8 RSA key")?;
    let derived = SigningKey::of(&key)?;
    anyhow::ensure!(value["kid"] == derived.kid.as_str(), "its kid is not the key's ({})", derived.kid);
    Ok(SigningKey { private_key_pem: pem.to_owned(), ..derived })
}

fn jwks_keys(text: &str) -> anyhow::Result<Vec<Value>> {
    let value: Value = serde_json::from_str(text).context("not JSON")?;
    value["keys"].as_array().cloned().context("no keys list")
}

fn jwks_of(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn kids(keys: &[Value]) -> Vec<String> {
    keys.iter().filter_map(|k| k["kid"].as_str().map(str::to_owned)).collect()
}

/// 32 random bytes as hex.
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn read(ssm: &Client, name: &str) -> anyhow::Result<Option<String>> {
    match ssm.get_parameter().name(name).with_decryption(true).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_owned)),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_parameter_not_found()) => Ok(None),
        Err(e) => Err(anyhow::anyhow!("reading {name}: {}", DisplayErrorContext(e))),
    }
}

/// Creates `name` unless it exists; `false` when it existed.
async fn create(ssm: &Client, name: &str, value: &str, kind: ParameterType) -> anyhow::Result<bool> {
    match ssm.put_parameter().name(name).value(value).r#type(kind).overwrite(false).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("ParameterAlreadyExists") => Ok(false),
        Err(e) => Err(anyhow::anyhow!("creating {name}: {}", DisplayErrorContext(e))),
    }
}

/// Writes `name`, replacing any value it had.
pub(crate) async fn overwrite(ssm: &Client, name: &str, value: &str, kind: ParameterType) -> anyhow::Result<()> {
    ssm.put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .overwrite(true)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("writing {name}: {}", DisplayErrorContext(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stages_names_are_the_template_defaults_for_it() {
        let dev = StageSecrets::for_stage("dev");
        assert_eq!(dev.signing_key, "/bazaar/dev/jwt/signing-key");
        assert_eq!(dev.public_keys, "/bazaar/dev/jwt/public-keys");
        assert_eq!(dev.webhook_secret, "/bazaar/dev/payments/webhook-secret");
        assert_eq!(dev.cursor_secret, "/bazaar/dev/cursor-secret");
        assert_eq!(dev.link_key, "/bazaar/dev/links/key");
    }

    #[test]
    fn a_stored_signing_key_must_carry_its_own_kid() {
        let key = new_key().expect("key");
        assert_eq!(signing_key(&key.signing_json()).expect("valid").kid, key.kid);
        let forged = json!({ "kid": "someone-else", "private_key_pem": key.private_key_pem }).to_string();
        assert!(signing_key(&forged).is_err());
        assert!(random_secret().len() == 64 && random_secret() != random_secret());
    }
}
