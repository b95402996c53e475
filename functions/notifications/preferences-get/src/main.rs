bazaar_runtime::http_main!(notifications_preferences_get);
