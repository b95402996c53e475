bazaar_runtime::http_main!(reservations_cancel);
