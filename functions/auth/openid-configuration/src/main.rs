bazaar_runtime::http_main!(auth_openid_configuration);
