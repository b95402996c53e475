//! permissions-on-user under hostile messages: each one fails alone (it ends in the DLQ),
//! and the valid registrations around it in the batch are recorded.

use bazaar_testkit::events::hostile::HostileBatch;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn on_user_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let users = [(); 3].map(|()| uuid::Uuid::new_v4().to_string());
    let [first, hostile, last] = users.each_ref().map(|u| delivered(&registered(u, &["customer"])));
    let mut batch = HostileBatch::new(&first, &hostile, &last);
    let received = app.received("permissions-on-user", &mut batch.batch).await.expect("through the queue");
    let r =
        permissions_on_user::handler(&deps!(app, permissions_on_user), batch.lambda_event()).await.expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;

    let [first, hostile, last] = &users;
    for user in [first, last] {
        assert_eq!(body_json(&app.user_roles(Some(&admin()), user).await)["roles"], json!(["customer"]), "{user}");
    }
    assert_eq!(app.members("customer").await, 2, "the hostile registration was not counted");
    assert!(app.store().user(hostile).await.expect("read").is_none(), "nor recorded");
}
