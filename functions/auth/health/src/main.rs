bazaar_runtime::http_main!(auth_health, without_aws);
