bazaar_runtime::http_main!(auth_users_get);
