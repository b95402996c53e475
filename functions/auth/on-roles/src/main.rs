bazaar_runtime::event_main!(auth_on_roles);
