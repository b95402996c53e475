bazaar_runtime::http_main!(permissions_user_roles_delete);
