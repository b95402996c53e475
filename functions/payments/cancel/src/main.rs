bazaar_runtime::http_main!(payments_cancel);
