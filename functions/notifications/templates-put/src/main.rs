bazaar_runtime::http_main!(notifications_templates_put);
