bazaar_runtime::event_main!(orders_on_payment);
