//! Seed data for a fresh devstack: the first admin account, whose password is generated
//! once and kept in the state directory so it survives restarts.

use std::path::Path;

use anyhow::Context as _;
use aws_types::SdkConfig;
use rand_core::RngCore as _;

use crate::model::Stack;

pub const ADMIN_EMAIL: &str = "admin@bazaar.local";
const PASSWORD_FILE: &str = "admin-password";
const AUTH_TABLE: &str = "AuthTable";

/// The seeded admin's credentials, to print for the developer.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub admin_email: String,
    pub admin_password: String,
}

/// Ensures the admin account exists in the auth table (idempotent).
pub async fn seed(stack: &Stack, config: &SdkConfig, state_dir: &Path) -> anyhow::Result<SeedReport> {
    let table = stack.table(AUTH_TABLE).with_context(|| format!("the template has no {AUTH_TABLE}"))?;
    let password = admin_password(state_dir)?;
    let client = aws_sdk_dynamodb::Client::new(config);
    auth_core::bootstrap::ensure_admin(&client, &table.name, ADMIN_EMAIL, &password)
        .await
        .context("seeding the admin account")?;
    Ok(SeedReport { admin_email: ADMIN_EMAIL.to_string(), admin_password: password })
}

/// The demo catalog: created through the API as the admin (so the events flow to orders'
/// price projection exactly as in production), only when the catalog is still empty.
const DEMO_PRODUCTS: [(&str, &str, &str, i64, u32); 4] = [
    ("Espresso cup", "Stoneware, 80 ml", "kitchen", 1_250, 40),
    ("Pour-over kettle", "Gooseneck, 1 l", "kitchen", 4_900, 15),
    ("Linen apron", "One size, natural", "textiles", 3_200, 25),
    ("Walnut tray", "Hand-finished, 40 cm", "home", 6_800, 8),
];

/// Creates the demo products through the API at `api` unless products exist; returns how
/// many were created.
pub async fn demo_catalog(api: &str, email: &str, password: &str) -> anyhow::Result<usize> {
    let http = reqwest::Client::new();
    let listed = crate::web::json(http.get(format!("{api}/products?limit=1")), "listing products").await?;
    if listed["items"].as_array().is_some_and(|items| !items.is_empty()) {
        return Ok(0);
    }
    let token = login(&http, api, email, password).await?;
    let token = token.as_str();
    for (name, description, category, amount_minor, stock) in DEMO_PRODUCTS {
        let product = serde_json::json!({
            "name": name, "description": description, "category": category,
            "price": { "amount_minor": amount_minor, "currency": "EUR" }, "stock": stock,
        });
        http.post(format!("{api}/products"))
            .bearer_auth(token)
            .json(&product)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("creating the demo product {name}"))?;
    }
    Ok(DEMO_PRODUCTS.len())
}

/// An access token for `email` from `POST {api}/auth/login`.
pub async fn login(http: &reqwest::Client, api: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let request =
        http.post(format!("{api}/auth/login")).json(&serde_json::json!({ "email": email, "password": password }));
    let login = crate::web::json(request, &format!("logging in as {email}")).await?;
    login["access_token"].as_str().map(str::to_owned).context("the login response has no access_token")
}

/// The seeded admin's password, as `devstack up` saved it in `state_dir` (`None` before the
/// first `make dev`).
pub fn saved_admin_password(state_dir: &Path) -> Option<String> {
    std::fs::read_to_string(state_dir.join(PASSWORD_FILE)).ok().map(|p| p.trim().to_owned())
}

/// Reads `state_dir/admin-password`, or generates and saves it (mode 0600).
fn admin_password(state_dir: &Path) -> anyhow::Result<String> {
    // The suffix guarantees the letters, digit and symbol a password policy may ask for.
    let generate = || Ok(format!("{}!7a", random_alphanumerics(20)));
    Ok(crate::keys::ensure_private_file(state_dir, PASSWORD_FILE, generate)?.trim().to_owned())
}

fn random_alphanumerics(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    let mut byte = [0u8; 1];
    while out.len() < len {
        rand_core::OsRng.fill_bytes(&mut byte);
        // Rejection sampling keeps every character equally likely (248 = 4 × 62).
        if usize::from(byte[0]) < 248 {
            out.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::Scratch;

    #[test]
    fn the_admin_password_is_generated_once_with_letters_and_digits() {
        let dir = Scratch::new();
        let first = admin_password(&dir.0).expect("generated");
        assert_eq!(first.len(), 23);
        assert!(first.chars().any(|c| c.is_ascii_digit()) && first.chars().any(|c| c.is_ascii_alphabetic()));
        assert_eq!(admin_password(&dir.0).expect("read back"), first);
        assert_eq!(saved_admin_password(&dir.0), Some(first));
    }
}
