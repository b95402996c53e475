//! Every sample event in events/catalog is accepted by its function's handler, in process with
//! the environment the template gives it, with the outcome events/catalog/outcomes.json names
//! for it; a sample without one fails this test.

use crate::support::TestApp;

bazaar_testkit::samples_test!(catalog, TestApp::spawn().await);
