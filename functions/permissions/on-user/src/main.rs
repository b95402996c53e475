bazaar_runtime::event_main!(permissions_on_user);
