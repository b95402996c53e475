bazaar_runtime::event_main!(permissions_publisher);
