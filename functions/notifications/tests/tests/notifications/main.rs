//! Notifications functions against moto through the real SDK: one test binary, by topic.

mod caps;
mod hostile;
mod http;
mod on_event;
mod phone;
mod samples;
mod support;
