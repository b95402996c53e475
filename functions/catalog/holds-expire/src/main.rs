bazaar_runtime::event_main!(catalog_holds_expire);
