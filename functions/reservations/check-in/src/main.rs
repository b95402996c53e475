bazaar_runtime::http_main!(reservations_check_in);
