bazaar_runtime::http_main!(auth_refresh);
