bazaar_runtime::http_main!(notifications_phone_verify);
