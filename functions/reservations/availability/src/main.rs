bazaar_runtime::http_main!(reservations_availability);
