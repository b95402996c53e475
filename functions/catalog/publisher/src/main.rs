bazaar_runtime::event_main!(catalog_publisher);
