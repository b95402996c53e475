bazaar_runtime::http_main!(api_openapi, without_aws);
