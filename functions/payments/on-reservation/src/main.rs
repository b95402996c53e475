bazaar_runtime::event_main!(payments_on_reservation);
