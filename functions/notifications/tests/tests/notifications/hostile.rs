//! notifications-on-event under hostile messages: each one fails alone (it comes back after
//! its backoff delay, then ends in the DLQ), and the valid events around it in the batch are
//! sent.

use bazaar_testkit::events::hostile::HostileBatch;

use crate::support::*;

#[tokio::test]
async fn on_event_fails_each_hostile_message_alone_and_sends_the_rest() {
    let app = TestApp::spawn().await;
    let [first, hostile, last] = [(); 3].map(|()| (uuid::Uuid::new_v4().to_string(), unique_email()));
    let body = |(id, email): &(String, String)| delivered_body(&order_paid(id, email));
    let mut batch = HostileBatch::new(&body(&first), &body(&hostile), &body(&last));
    let received = app.received("notifications-on-event", &mut batch.batch).await.expect("through the queue");
    let deps = deps!(app, notifications_on_event);
    let r = notifications_on_event::handler(&deps, batch.lambda_event()).await.expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;

    for (_, email) in [&first, &last] {
        let emails = app.emails_to(email).await;
        assert_eq!(emails.len(), 1, "{emails:?}");
        assert!(emails[0]["body"].as_str().unwrap_or_default().contains("25.00 EUR"), "{emails:?}");
    }
    assert_eq!(app.emails_to(&hostile.1).await, Vec::<serde_json::Value>::new(), "no hostile message was sent");
}
