//! The development RS256 signing key: generated once into the state directory, published
//! to SSM the way the deployed stack expects (the private key for the login/refresh
//! functions, the JWKS for the authorizer and the jwks endpoint).

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::Context as _;
use aws_sdk_ssm::types::ParameterType;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use rsa::traits::PublicKeyParts as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest as _, Sha256};

use crate::model::Stack;

const KEY_FILE: &str = "signing-key.pem";
const KEY_BITS: usize = 2048;

/// The development key pair.
#[derive(Debug, Clone)]
pub struct DevKeys {
    /// First 16 hex characters of the SHA-256 of the public key's DER (SPKI).
    pub kid: String,
    /// PKCS#8 PEM.
    pub private_key_pem: String,
    /// `{"keys": [{kty, use, alg, kid, n, e}]}`.
    pub jwks: serde_json::Value,
}

/// Loads `dir/signing-key.pem`, generating it (mode 0600) if it is missing.
pub fn ensure_dev_keys(dir: &Path) -> anyhow::Result<DevKeys> {
    let pem = ensure_private_file(dir, KEY_FILE, || {
        Ok(new_private_key()?.to_pkcs8_pem(LineEnding::LF).context("encoding the key as PKCS#8")?.to_string())
    })?;
    let key = RsaPrivateKey::from_pkcs8_pem(&pem)
        .with_context(|| format!("{} is not a PKCS#8 RSA key", dir.join(KEY_FILE).display()))?;
    key_material(&key, pem)
}

/// A new RSA signing key (the dev key here, a stage's in [`crate::secrets`]).
pub(crate) fn new_private_key() -> anyhow::Result<RsaPrivateKey> {
    RsaPrivateKey::new(&mut rand_core::OsRng, KEY_BITS).context("generating an RSA key")
}

/// The contents of `dir/file`; when there is no such file yet, `generate`'s, saved there
/// first, readable by its owner only. Every secret the devstack keeps in its state folder is
/// made once this way, so that it survives restarts.
pub(crate) fn ensure_private_file(
    dir: &Path,
    file: &str,
    generate: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let path = dir.join(file);
    if path.exists() {
        return std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let contents = generate()?;
    write_private(&path, &contents)?;
    Ok(contents)
}

/// Writes a secret file readable only by its owner (via a temporary file, so a crash
/// never leaves half a secret behind).
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// A key's id and JWKS (of it alone), with its PEM.
pub(crate) fn key_material(key: &RsaPrivateKey, private_key_pem: String) -> anyhow::Result<DevKeys> {
    let public = RsaPublicKey::from(key);
    let der = public.to_public_key_der().context("encoding the public key")?;
    let digest = Sha256::digest(der.as_bytes());
    let kid: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let jwks = serde_json::json!({"keys": [{
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]});
    Ok(DevKeys { kid, private_key_pem, jwks })
}

/// Stores the keys in SSM under the names the template's parameters give.
pub async fn put_key_parameters(config: &aws_types::SdkConfig, stack: &Stack, keys: &DevKeys) -> anyhow::Result<()> {
    let name = |param: &str| {
        stack.parameters.get(param).cloned().with_context(|| format!("the template has no {param} parameter"))
    };
    let signing = serde_json::json!({"kid": keys.kid, "private_key_pem": keys.private_key_pem});
    let client = aws_sdk_ssm::Client::new(config);
    for (param, value, kind) in [
        ("JwtSigningKeyParameter", signing.to_string(), ParameterType::SecureString),
        ("JwtPublicKeysParameter", keys.jwks.to_string(), ParameterType::String),
    ] {
        crate::secrets::overwrite(&client, &name(param)?, &value, kind).await?;
    }
    Ok(())
}

const WEBHOOK_SECRET_FILE: &str = "payments-webhook-secret";
const CURSOR_SECRET_FILE: &str = "cursor-secret";
const LINK_KEY_FILE: &str = "link-key";

/// The payment provider's webhook secret for local runs: 32 random bytes as hex, generated
/// once into `dir` (mode 0600) so a hand-run provider simulation can sign with it.
pub fn ensure_webhook_secret(dir: &Path) -> anyhow::Result<String> {
    ensure_secret_file(dir, WEBHOOK_SECRET_FILE)
}

/// The key that signs pagination cursors locally, generated once like the webhook secret
/// (so cursors stay valid across restarts).
pub fn ensure_cursor_secret(dir: &Path) -> anyhow::Result<String> {
    ensure_secret_file(dir, CURSOR_SECRET_FILE)
}

/// The key of emailed links for local runs, generated once like the webhook secret (so a
/// link mailed before a restart still opens after it).
pub fn ensure_link_key(dir: &Path) -> anyhow::Result<String> {
    ensure_secret_file(dir, LINK_KEY_FILE)
}

fn ensure_secret_file(dir: &Path, file: &str) -> anyhow::Result<String> {
    Ok(ensure_private_file(dir, file, || Ok(crate::secrets::random_secret()))?.trim().to_owned())
}

/// Stores the webhook secret under the template's `PaymentsWebhookSecretParameter` (if the
/// template has payments).
pub async fn put_webhook_secret(config: &aws_types::SdkConfig, stack: &Stack, secret: &str) -> anyhow::Result<()> {
    put_secure(config, stack, "PaymentsWebhookSecretParameter", secret).await
}

/// Stores the cursor key under the template's `CursorSecretParameter` (if it has one).
pub async fn put_cursor_secret(config: &aws_types::SdkConfig, stack: &Stack, secret: &str) -> anyhow::Result<()> {
    put_secure(config, stack, "CursorSecretParameter", secret).await
}

/// Stores the link key under the template's `LinkKeyParameter` (if it has one).
pub async fn put_link_key(config: &aws_types::SdkConfig, stack: &Stack, key: &str) -> anyhow::Result<()> {
    put_secure(config, stack, "LinkKeyParameter", key).await
}

async fn put_secure(config: &aws_types::SdkConfig, stack: &Stack, parameter: &str, secret: &str) -> anyhow::Result<()> {
    let Some(name) = stack.parameters.get(parameter) else {
        return Ok(());
    };
    crate::secrets::overwrite(&aws_sdk_ssm::Client::new(config), name, secret, ParameterType::SecureString).await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::BigUint;

    /// A folder of its own under the system's temporary one, removed when dropped.
    pub(crate) struct Scratch(pub(crate) std::path::PathBuf);

    impl Scratch {
        pub(crate) fn new() -> Scratch {
            Scratch(std::env::temp_dir().join(format!("devstack-test-{}", uuid::Uuid::new_v4())))
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_private_file_is_generated_once_and_only_its_owner_reads_it() {
        let dir = Scratch::new();
        let first = ensure_private_file(&dir.0, "secret", || Ok("s3cret".into())).expect("generated");
        let again = ensure_private_file(&dir.0, "secret", || panic!("generated twice")).expect("read back");
        assert_eq!((first.as_str(), again.as_str()), ("s3cret", "s3cret"));
        let meta = std::fs::metadata(dir.0.join("secret")).expect("saved");
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777, 0o600);
        assert!(!dir.0.join("secret.tmp").exists());
    }

    #[test]
    fn the_dev_key_is_kept_and_its_jwks_matches_it() {
        let dir = Scratch::new();
        let first = ensure_dev_keys(&dir.0).expect("generated");
        let second = ensure_dev_keys(&dir.0).expect("loaded");
        assert_eq!(first.kid, second.kid);
        assert_eq!(first.kid.len(), 16);

        let key = RsaPrivateKey::from_pkcs8_pem(&first.private_key_pem).expect("pkcs8");
        let jwk = &first.jwks["keys"][0];
        let decode = |field: &str| {
            let text = jwk[field].as_str().expect("string");
            BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(text).expect("base64url without padding"))
        };
        assert_eq!(&decode("n"), key.n());
        assert_eq!(&decode("e"), key.e());
        assert_eq!(jwk["kid"], first.kid.as_str());
        assert_eq!(jwk["alg"], "RS256");
    }

    #[test]
    fn the_webhook_secret_is_random_once_then_stable() {
        let (dir, other) = (Scratch::new(), Scratch::new());
        let first = ensure_webhook_secret(&dir.0).expect("generated");
        assert_eq!(first.len(), 64);
        assert_eq!(ensure_webhook_secret(&dir.0).expect("loaded"), first);
        assert_ne!(ensure_webhook_secret(&other.0).expect("generated"), first);
    }
}
