bazaar_runtime::http_main!(orders_place);
