bazaar_runtime::event_main!(reservations_remind);
