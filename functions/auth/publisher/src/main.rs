bazaar_runtime::event_main!(auth_publisher);
