bazaar_runtime::http_main!(reservations_resources_update);
