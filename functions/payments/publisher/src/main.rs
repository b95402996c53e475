bazaar_runtime::event_main!(payments_publisher);
