bazaar_runtime::http_main!(api_docs, without_aws);
