//! The notifications service's domain: which event sends which template to whom
//! ([`message`]), the templates and their rendering ([`templates`]) within limits and link
//! rules ([`guard`]), the daily send caps ([`caps`]), preferences ([`prefs`]) and verified
//! phone numbers ([`phone`]), masked recipients ([`mask`]) and the DynamoDB store with its once-only
//! send markers and delivery log ([`store`]).

pub mod caps;
pub mod guard;
pub mod mask;
pub mod message;
pub mod phone;
pub mod prefs;
pub mod store;
pub mod templates;

pub use message::Notification;
pub use prefs::{PhoneNumber, Preferences, PreferencesInput};
pub use store::{Channel, Claim, Delivery, DeliveryPage, DeliveryStatus, NotificationsStore, TableDeps};
pub use templates::{Template, TemplateName, TemplateSource, TemplateView};
