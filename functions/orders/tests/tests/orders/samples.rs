//! Every sample event in events/orders is accepted by its function's handler, in process with
//! the environment the template gives it, with the outcome events/orders/outcomes.json names
//! for it; a sample without one fails this test.

use bazaar_testkit::samples;

use crate::support::TestApp;

bazaar_testkit::samples_test!(orders, TestApp::spawn().await, |app, functions| {
    // The valid order sample needs its product in the projection: the projection sample seeds it.
    let (binary, seed) = samples::sample("orders", "on-product/product-changed.json");
    assert_eq!(functions.sample_status(&binary, &seed).await, 200);
});
