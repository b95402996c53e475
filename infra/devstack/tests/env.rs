//! The real template's functions can share one env file.

use devstack::env::{union_env, write_env_file};
use devstack::template::{PlanOptions, plan};

#[test]
fn real_template_union_has_no_conflict() {
    let opts = PlanOptions { moto_endpoint: "http://127.0.0.1:4566".into(), ..PlanOptions::default() };
    let stack = plan(&bazaar_testkit::template_path(), &opts).expect("plans");
    let env = union_env(&stack, &opts.moto_endpoint).expect("no conflict");
    assert_eq!(env["AUTH_TABLE"], "bazaar-dev-auth");
    assert_eq!(env["EVENT_BUS_NAME"], "bazaar-dev");
    assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566");

    let path = std::env::temp_dir().join(format!("devstack-env-{}/functions.env", uuid::Uuid::new_v4()));
    write_env_file(&path, &env).expect("written");
    let text = std::fs::read_to_string(&path).expect("readable");
    assert!(text.lines().any(|l| l == "AUTH_TABLE=bazaar-dev-auth"), "{text}");
    let _ = std::fs::remove_dir_all(path.parent().expect("has a parent"));
}
