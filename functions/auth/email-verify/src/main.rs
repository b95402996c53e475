bazaar_runtime::http_main!(auth_email_verify);
