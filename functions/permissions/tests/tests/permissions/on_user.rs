//! permissions-on-user: `UserRegistered` records the user once and counts its roles once.

use aws_lambda_events::sqs::SqsEvent;
use bazaar_testkit::events::batch;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_registration_delivered_twice_records_one_user_counted_once() {
    let app = TestApp::spawn().await;
    let user = uuid::Uuid::new_v4().to_string();
    let event = registered(&user, &["customer", "owner"]);
    assert!(app.deliver(std::slice::from_ref(&event)).await.is_empty());
    assert!(app.deliver(&[event.clone(), event]).await.is_empty());

    let view = body_json(&app.user_roles(Some(&admin()), &user).await);
    assert_eq!(view["roles"], json!(["customer", "owner"]));
    assert_eq!(view["version"], 0);
    assert_eq!((app.members("customer").await, app.members("owner").await), (1, 1));
    assert!(app.outbox().await.is_empty(), "registration emits nothing");
}

#[tokio::test]
async fn another_registration_of_a_known_user_changes_nothing() {
    let app = TestApp::spawn().await;
    let user = uuid::Uuid::new_v4().to_string();
    assert!(app.deliver(&[registered(&user, &["customer"])]).await.is_empty());
    assert!(app.deliver(&[registered(&user, &["admin"])]).await.is_empty());
    assert_eq!(body_json(&app.user_roles(Some(&admin()), &user).await)["roles"], json!(["customer"]));
    assert_eq!((app.members("customer").await, app.members("admin").await), (1, 0));
}

#[tokio::test]
async fn unknown_roles_are_ignored_and_custom_roles_counted() {
    let app = TestApp::spawn().await;
    app.create_role(Some(&admin()), &role_body("auditor", &["reports:read_all"])).await;
    let user = uuid::Uuid::new_v4().to_string();
    assert!(app.deliver(&[registered(&user, &["auditor", "wizard", "customer"])]).await.is_empty());
    assert_eq!(body_json(&app.user_roles(Some(&admin()), &user).await)["roles"], json!(["auditor", "customer"]));
    assert_eq!(app.members("auditor").await, 1);
}

#[tokio::test]
async fn a_poison_message_fails_alone() {
    let app = TestApp::spawn().await;
    let user = uuid::Uuid::new_v4().to_string();
    let good = delivered(&registered(&user, &["customer"]));
    let wrong_type = good.replace("UserRegistered", "OrderPlaced");
    let messages =
        [("ok", good), ("junk", "{not json".to_owned()), ("wrong", wrong_type)].map(|(id, b)| (id.to_owned(), b));
    let event: LambdaEvent<SqsEvent> = LambdaEvent::new(batch(messages), Context::default());
    let r = permissions_on_user::handler(&deps!(app, permissions_on_user), event).await.expect("handled");
    let mut failed = failed_ids(&r);
    failed.sort();
    assert_eq!(failed, vec!["junk", "wrong"]);
    assert_eq!(app.members("customer").await, 1);
}
