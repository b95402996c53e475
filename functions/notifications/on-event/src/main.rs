bazaar_runtime::event_main!(notifications_on_event);
