bazaar_runtime::http_main!(reservations_create);
