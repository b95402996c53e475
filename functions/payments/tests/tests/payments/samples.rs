//! Every sample event in events/payments is accepted by its function's handler, in process
//! with the environment the template gives it, with the outcome events/payments/outcomes.json
//! names for it; a sample without one fails this test.

use bazaar_events::Money;
use bazaar_events::payments::Subject;
use bazaar_testkit::samples;
use payments_core::{Payment, PaymentStatus};

use crate::support::TestApp;

/// The reservation of the requested and cancelled-pending samples, and that of the refund sample.
const REQUESTED_RESERVATION: &str = "9b1f0c2d-3e4f-4a5b-8c6d-7e8f9a0b1c01";
const PAID_RESERVATION: &str = "9b1f0c2d-3e4f-4a5b-8c6d-7e8f9a0b1c02";
/// The order of the cancelled-after-payment sample (paid), and that of the cancelled-before one.
const PAID_ORDER: &str = "5e6f7a8b-0002-4c2d-8e3f-4a5b6c7d8e02";
const UNPAID_ORDER: &str = "5e6f7a8b-0001-4c2d-8e3f-4a5b6c7d8e01";

bazaar_testkit::samples_test!(payments, TestApp::spawn().await, |app, functions| {
    // The cancellation samples act on real payments: the request sample creates the pending
    // one (manual mode), and the refund sample's reservation was paid.
    let (binary, seed) = samples::sample("payments", "on-reservation/reservation-requested.json");
    assert_eq!(functions.sample_status(&binary, &seed).await, 200);
    let now = chrono::Utc::now();
    for subject in [Subject::reservation(PAID_RESERVATION), Subject::order(PAID_ORDER)] {
        app.insert_payment(&Payment {
            payment_id: subject.payment_id(),
            subject,
            payer: "00000000-0000-4000-8000-000000000001".into(),
            status: PaymentStatus::Succeeded,
            amount: Money::new(3000, "EUR"),
            created_at: now,
            updated_at: now,
            hold_expires_at: now + chrono::Duration::minutes(15),
            provider_ref: Some("sim_sample".into()),
            failure_reason: None,
            refund_ref: None,
        })
        .await;
    }
}, then {
    let status = async |id: &str| app.payment(&Subject::reservation(id).payment_id()).await.expect("payment").status;
    assert_eq!(status(REQUESTED_RESERVATION).await, PaymentStatus::Failed, "the pending payment was cancelled");
    assert_eq!(status(PAID_RESERVATION).await, PaymentStatus::Refunded, "the paid one was refunded");
    let order_status = async |id: &str| app.payment(&Subject::order(id).payment_id()).await.expect("payment").status;
    assert_eq!(order_status(PAID_ORDER).await, PaymentStatus::Refunded, "the paid order was refunded");
    assert_eq!(order_status(UNPAID_ORDER).await, PaymentStatus::Failed, "the unpaid one was tombstoned");
});
