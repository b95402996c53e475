bazaar_runtime::http_main!(auth_password_forgot);
