//! reservations-on-payment under hostile messages: each one fails alone (it ends in the
//! DLQ), and the valid payments around it in the batch confirm their reservations.

use bazaar_testkit::events::hostile::HostileBatch;
use reservations_core::ReservationStatus;

use crate::support::*;

#[tokio::test]
async fn on_payment_fails_each_hostile_message_alone_and_applies_the_rest() {
    let app = TestApp::spawn().await;
    let resource = app.resource(&owner()).await;
    let mut ids = Vec::new();
    for hour in [10, 12, 14] {
        ids.push(app.booked(&customer(), &resource, at(tomorrow(), hour), at(tomorrow(), hour + 1)).await);
    }
    let mut bodies = Vec::new();
    for id in &ids {
        bodies.push(delivered(&succeeded(id, app.reservation(id).await.amount)));
    }
    let mut batch = HostileBatch::new(&bodies[0], &bodies[1], &bodies[2]);
    let received = app.received("reservations-on-payment", &mut batch.batch).await.expect("through the queue");
    let r = reservations_on_payment::handler(&deps!(app, reservations_on_payment), batch.lambda_event())
        .await
        .expect("handled");
    batch.assert_only_hostile_failed(&r);
    received.assert_only_these_return(&batch.hostile).await;

    assert_eq!(app.reservation(&ids[0]).await.status, ReservationStatus::Confirmed);
    assert_eq!(app.reservation(&ids[2]).await.status, ReservationStatus::Confirmed);
    assert_eq!(app.reservation(&ids[1]).await.status, ReservationStatus::Pending, "no hostile message confirmed it");
}
