//! Every sample event in events/permissions is accepted by its function's handler, in process with
//! the environment the template gives it, with the outcome events/permissions/outcomes.json names
//! for it; a sample without one fails this test.
//!
//! Samples run in name order against one fresh table, and some build on earlier ones: the
//! on-user samples record the users the user-roles samples address, and roles-create/valid
//! creates the role roles-delete/valid deletes.

use crate::support::TestApp;

bazaar_testkit::samples_test!(permissions, TestApp::spawn().await);
