//! Bazaar's local cloud (under construction): the resolved model of template.yaml.

pub mod model;
