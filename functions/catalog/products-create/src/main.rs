bazaar_runtime::http_main!(catalog_products_create);
