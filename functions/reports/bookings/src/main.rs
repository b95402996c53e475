bazaar_runtime::http_main!(reports_bookings);
