//! auth-on-roles under hostile messages: each one fails alone (it ends in the DLQ), and the
//! valid events around it in the batch are applied.

use bazaar_events::Envelope;
use bazaar_events::permissions::RoleChanged;
use bazaar_testkit::events::delivered;
use bazaar_testkit::events::hostile::HostileBatch;

use crate::support::*;

fn role_changed(role: &str) -> String {
    let permissions = vec!["reports:read".to_owned()];
    delivered(&Envelope::new(
        RoleChanged { role: role.to_owned(), permissions, built_in: false, deleted: false, version: 1 },
        "t",
    ))
}

#[tokio::test]
async fn on_roles_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let mut batch = HostileBatch::new(&role_changed("first"), &role_changed("hostile"), &role_changed("last"));
    let received = app.received("auth-on-roles", &mut batch.batch).await.expect("through the queue");
    let r = auth_on_roles::handler(&app.on_roles(), batch.lambda_event()).await.expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;

    let names = ["first", "hostile", "last"].map(str::to_owned);
    let records = app.store().role_records(&names).await.expect("read");
    let mut projected: Vec<&str> = records.keys().map(String::as_str).collect();
    projected.sort_unstable();
    assert_eq!(projected, ["first", "last"], "the valid roles are projected, the hostile one never");
    assert_eq!(records["first"].permissions, ["reports:read"]);
}
