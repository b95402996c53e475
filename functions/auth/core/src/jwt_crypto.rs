//! jsonwebtoken's cryptography on ring, the library the functions' TLS already links
//! (`bazaar_runtime::http_client`). jsonwebtoken's own backends are aws-lc (a second, larger
//! crypto library in every auth function) or RustCrypto's `rsa` (not constant-time:
//! RUSTSEC-2023-0071, and login signs on every request). ring's RSA is constant-time and
//! blinded. Only RS256 is provided, the one algorithm Bazaar signs and accepts; anything else
//! is refused as unsupported, never verified.
//!
//! [`install`] makes it the process's provider; [`crate::tokens`] calls it right before it
//! signs or verifies, so no caller has to remember.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result, new_error};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::signature;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};

/// The provider: RS256 signing and verification, and the JWK helpers RSA needs.
pub static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_of_private_key,
        rsa_pub_components_from_public_key: |_| Err(new_error(ErrorKind::UnsupportedAlgorithm)),
        ec_pub_components_from_private_key: |_, _| Err(new_error(ErrorKind::UnsupportedAlgorithm)),
        ed_pub_components_from_private_key: |_, _| Err(new_error(ErrorKind::UnsupportedAlgorithm)),
        compute_digest: digest,
    },
};

/// Makes [`PROVIDER`] the process's jsonwebtoken provider; later calls do nothing (Err: a
/// provider is already installed, and jsonwebtoken keeps it).
pub fn install() {
    let _ = PROVIDER.install_default();
}

struct Rs256Signer(RsaKeyPair);

impl signature::Signer<Vec<u8>> for Rs256Signer {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut sig = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), msg, &mut sig)
            .map_err(|_| signature::Error::new())?;
        Ok(sig)
    }
}

impl JwtSigner for Rs256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

enum PublicKey {
    Components {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// A DER `RSAPublicKey` (PKCS#1), as `DecodingKey::from_rsa_pem`/`from_rsa_der` hold it.
    Der(Vec<u8>),
}

struct Rs256Verifier(PublicKey);

impl signature::Verifier<Vec<u8>> for Rs256Verifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let checked = match &self.0 {
            PublicKey::Components { n, e } => {
                RsaPublicKeyComponents { n, e }.verify(&RSA_PKCS1_2048_8192_SHA256, msg, sig)
            }
            PublicKey::Der(der) => {
                ring::signature::UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).verify(msg, sig)
            }
        };
        checked.map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for Rs256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if *algorithm != Algorithm::RS256 {
        return Err(new_error(ErrorKind::UnsupportedAlgorithm));
    }
    if key.family() != AlgorithmFamily::Rsa {
        return Err(new_error(ErrorKind::InvalidKeyFormat));
    }
    let pair = RsaKeyPair::from_der(key.as_bytes()).map_err(|_| new_error(ErrorKind::InvalidRsaKey(String::new())))?;
    Ok(Box::new(Rs256Signer(pair)))
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if *algorithm != Algorithm::RS256 {
        return Err(new_error(ErrorKind::UnsupportedAlgorithm));
    }
    if key.family() != AlgorithmFamily::Rsa {
        return Err(new_error(ErrorKind::InvalidKeyFormat));
    }
    let public = match key.kind() {
        DecodingKeyKind::RsaModulusExponent { n, e } => PublicKey::Components { n: n.clone(), e: e.clone() },
        DecodingKeyKind::SecretOrDer(der) => PublicKey::Der(der.clone()),
    };
    Ok(Box::new(Rs256Verifier(public)))
}

fn rsa_components_of_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let pair = RsaKeyPair::from_der(der).map_err(|_| new_error(ErrorKind::InvalidRsaKey(String::new())))?;
    let components: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
    Ok((components.n, components.e))
}

fn digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>> {
    let algorithm = match hash {
        ThumbprintHash::SHA256 => &ring::digest::SHA256,
        ThumbprintHash::SHA384 => &ring::digest::SHA384,
        ThumbprintHash::SHA512 => &ring::digest::SHA512,
        _ => return Err(new_error(ErrorKind::UnsupportedAlgorithm)),
    };
    Ok(ring::digest::digest(algorithm, data).as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Header, Validation};
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;

    const PRIVATE_PEM: &str = include_str!("../tests/fixtures/key-a.pem");
    const OTHER_PRIVATE_PEM: &str = include_str!("../tests/fixtures/key-b.pem");

    fn decoding_key(pem: &str) -> DecodingKey {
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("pkcs8 pem");
        DecodingKey::from_rsa_raw_components(&private.n().to_bytes_be(), &private.e().to_bytes_be())
    }

    fn token(claims: &serde_json::Value) -> String {
        install();
        let key = EncodingKey::from_rsa_pem(PRIVATE_PEM.as_bytes()).expect("pem");
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("signed")
    }

    fn validation() -> Validation {
        let mut v = Validation::new(Algorithm::RS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        v
    }

    #[test]
    fn an_rs256_token_signed_with_ring_verifies_with_the_public_key_only() {
        let t = token(&serde_json::json!({"sub": "u1"}));
        let data =
            jsonwebtoken::decode::<serde_json::Value>(&t, &decoding_key(PRIVATE_PEM), &validation()).expect("verifies");
        assert_eq!(data.claims["sub"], "u1");
    }

    #[test]
    fn another_key_or_a_changed_payload_does_not_verify() {
        let t = token(&serde_json::json!({"sub": "u1"}));
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(&t, &decoding_key(OTHER_PRIVATE_PEM), &validation()).is_err()
        );
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = token(&serde_json::json!({"sub": "admin"}));
        parts[1] = forged.split('.').nth(1).expect("payload");
        let tampered = parts.join(".");
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(&tampered, &decoding_key(PRIVATE_PEM), &validation()).is_err()
        );
    }

    #[test]
    fn the_signature_is_standard_pkcs1_v15_sha256_as_an_independent_library_checks_it() {
        let t = token(&serde_json::json!({"sub": "u1"}));
        let (message, sig) = t.rsplit_once('.').expect("three parts");
        use base64::Engine as _;
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig).expect("base64url");
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(PRIVATE_PEM).expect("pem");
        // RFC 8017 EMSA-PKCS1-v1_5 with SHA-256: the DigestInfo prefix spelled out, then the
        // digest (rsa's `sha2` feature would name it too, but it changes sha2's features for
        // the tests only, and so makes `make test` build the AWS SDK a second time).
        const SHA256_DIGEST_INFO: [u8; 19] = [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x20,
        ];
        let scheme = rsa::Pkcs1v15Sign { hash_len: Some(32), prefix: SHA256_DIGEST_INFO.into() };
        let digest = <sha2::Sha256 as sha2::Digest>::digest(message.as_bytes());
        private.to_public_key().verify(scheme, &digest, &sig).expect("rsa crate accepts it");
    }

    #[test]
    fn other_algorithms_are_refused_not_verified() {
        install();
        let hs = EncodingKey::from_secret(b"secret");
        let err = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &serde_json::json!({}), &hs).expect_err("HS256");
        assert!(matches!(err.kind(), ErrorKind::UnsupportedAlgorithm), "{err:?}");
        assert!(verifier(&Algorithm::RS512, &decoding_key(PRIVATE_PEM)).is_err());
        assert!(verifier(&Algorithm::RS256, &DecodingKey::from_secret(b"secret")).is_err());
    }

    #[test]
    fn the_jwk_helpers_derive_the_public_key_from_the_private_one() {
        let key = EncodingKey::from_rsa_pem(PRIVATE_PEM.as_bytes()).expect("pem");
        let (n, e) = rsa_components_of_private_key(key.as_bytes()).expect("components");
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(PRIVATE_PEM).expect("pem");
        assert_eq!(n, private.n().to_bytes_be());
        assert_eq!(e, private.e().to_bytes_be());
        assert_eq!(digest(b"abc", ThumbprintHash::SHA256).expect("digest").len(), 32);
    }
}
