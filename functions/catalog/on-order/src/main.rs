bazaar_runtime::event_main!(catalog_on_order);
