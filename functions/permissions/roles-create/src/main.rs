bazaar_runtime::http_main!(permissions_roles_create);
