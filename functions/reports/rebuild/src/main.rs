bazaar_runtime::event_main!(reports_rebuild);
