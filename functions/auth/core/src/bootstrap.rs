//! Creating the first admin: there is no admin to grant the role, so an operator command
//! (the devstack's seed locally) calls this with the table's name. The account is
//! registered with the admin role; its `UserRegistered` tells the permissions service,
//! which owns role assignments from then on.

use crate::model::NewPassword;
use crate::{AuthStore, Email, User, flows, roles};

/// Makes sure an account with `email` exists and holds the admin role; returns its id.
/// Idempotent for an existing admin. An existing account without the role is refused:
/// roles are granted through the permissions service (`PUT /users/{id}/roles/admin`).
pub async fn ensure_admin(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let store = AuthStore::new(client.clone(), table);
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("admin email: {e:?}"))?;
    if let Some(user) = store.user_by_email(&email).await? {
        anyhow::ensure!(
            user.roles.iter().any(|r| r == roles::ADMIN),
            "{} exists without the admin role: grant it with PUT /users/{}/roles/admin",
            email.as_str(),
            user.user_id
        );
        return Ok(user.user_id);
    }
    let password = NewPassword::parse(password, &email).map_err(|e| anyhow::anyhow!("admin password: {e:?}"))?;
    // The operator chose the address: it is verified, and the welcome email carries no link.
    let user = User { email_verified: true, ..flows::new_user(email, &password, vec![roles::ADMIN.to_owned()])? };
    let event = flows::registered_event(&user, "bootstrap");
    store.create_user(&user, None, &event).await.map_err(|e| anyhow::anyhow!("creating admin: {e}"))?;
    Ok(user.user_id)
}
