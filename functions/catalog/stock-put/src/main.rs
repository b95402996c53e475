bazaar_runtime::http_main!(catalog_stock_put);
