bazaar_runtime::event_main!(orders_publisher);
