bazaar_runtime::http_main!(notifications_list);
