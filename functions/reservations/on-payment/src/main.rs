bazaar_runtime::event_main!(reservations_on_payment);
