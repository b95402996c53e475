bazaar_runtime::event_main!(reports_on_event);
