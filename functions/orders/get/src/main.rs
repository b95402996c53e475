bazaar_runtime::http_main!(orders_get);
