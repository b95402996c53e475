//! Orders functions against moto through the real SDK: one test binary, grouped by topic.

mod cancel;
mod consumers;
mod hostile;
mod place;
mod read;
mod samples;
mod steps;
mod support;
