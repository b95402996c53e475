//! Bookable resources: the create and update bodies, their validation (every invalid field
//! reported at once), and the stored resource.

use bazaar_events::Money;
use bazaar_runtime::problem::FieldError;
use bazaar_runtime::{Action, Identity, Owner};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ReservationsError;
use crate::hours::{OpeningHours, Week, parse_zone};

/// Who may create resources and manage their own (and their reservations).
pub const MANAGE: &str = "reservations:manage";
/// Who may manage every resource and reservation.
pub const MANAGE_ALL: &str = "reservations:manage_all";
/// Editing a resource and managing its reservations (cancelling them until their end): its
/// owner holding `reservations:manage`, or a holder of `reservations:manage_all`.
pub const MANAGE_RESOURCE: Action = Action::act(Owner::With(MANAGE), MANAGE_ALL);

pub const KINDS: [&str; 5] = ["room", "artist", "desk", "equipment", "other"];
pub const MIN_SLOT_MINUTES: i64 = 5;
pub const MAX_SLOT_MINUTES: i64 = 720;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// A slot costs at most this many minor units (keeps every total far from overflow).
pub const MAX_PRICE_MINOR: i64 = 100_000_000;
/// An ISO 4217 code as `bazaar_events::wire::is_currency_code` takes it.
pub const CURRENCY_PATTERN: &str = "^[A-Z]{3}$";

/// A price as the API takes it (unknown fields refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ResourcePrice")]
pub struct MoneyInput {
    /// In the currency's minor unit (cents).
    #[schemars(range(min = 0, max = MAX_PRICE_MINOR))]
    pub amount_minor: i64,
    /// An ISO 4217 code: three upper-case letters.
    #[schemars(pattern(CURRENCY_PATTERN))]
    pub currency: String,
}

impl From<&Money> for MoneyInput {
    fn from(m: &Money) -> MoneyInput {
        MoneyInput { amount_minor: m.amount_minor, currency: m.currency.clone() }
    }
}

/// `POST /resources` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewResource")]
pub struct CreateResource {
    /// 1 to 100 characters once trimmed.
    #[schemars(length(min = 1, max = MAX_NAME_CHARS), pattern(bazaar_runtime::text::not_blank_pattern()))]
    pub name: String,
    #[schemars(schema_with = "kind_schema")]
    pub kind: String,
    /// An IANA time zone such as `Europe/Berlin`; the opening hours are local times there.
    #[schemars(with = "ZoneName")]
    pub time_zone: String,
    pub opening_hours: OpeningHours,
    /// The length of one bookable slot; every opening interval lasts a whole number of them.
    #[schemars(range(min = MIN_SLOT_MINUTES, max = MAX_SLOT_MINUTES))]
    pub slot_minutes: i64,
    pub price_per_slot: MoneyInput,
    /// Only 1 is supported (the default).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1))]
    pub capacity: Option<i64>,
    /// At most 2000 characters once trimmed; blank means none.
    #[serde(default)]
    #[schemars(length(max = MAX_DESCRIPTION_CHARS))]
    pub description: Option<String>,
}

/// `PATCH /resources/{id}` body: only the fields present change (`"description": null`
/// removes the description).
///
/// At least one field (a patch that changes nothing is a 400). `null` is read as absent for
/// the other fields, so the document describes them as non-null.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ResourcePatch", extend("minProperties" = 1))]
pub struct UpdateResource {
    /// 1 to 100 characters once trimmed.
    #[serde(default)]
    #[schemars(with = "String", length(min = 1, max = MAX_NAME_CHARS), pattern(bazaar_runtime::text::not_blank_pattern()))]
    #[schemars(transform = absent_not_null)]
    pub name: Option<String>,
    /// At most 2000 characters once trimmed; null or blank removes it.
    #[serde(default, deserialize_with = "bazaar_runtime::patch::present")]
    #[schemars(with = "Option<String>", length(max = MAX_DESCRIPTION_CHARS))]
    pub description: Option<Option<String>>,
    #[serde(default)]
    #[schemars(with = "OpeningHours", transform = absent_not_null)]
    pub opening_hours: Option<OpeningHours>,
    /// The new slot length; the opening hours must still last a whole number of slots.
    #[serde(default)]
    #[schemars(with = "i64", range(min = MIN_SLOT_MINUTES, max = MAX_SLOT_MINUTES))]
    #[schemars(transform = absent_not_null)]
    pub slot_minutes: Option<i64>,
    #[serde(default)]
    #[schemars(with = "MoneyInput", transform = absent_not_null)]
    pub price_per_slot: Option<MoneyInput>,
    /// `false` stops new bookings (existing reservations stay).
    #[serde(default)]
    #[schemars(with = "bool", transform = absent_not_null)]
    pub active: Option<bool>,
}

/// `kind`: one of [`KINDS`].
fn kind_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "string", "enum": KINDS })
}

/// `time_zone` as the document names it (`TimeZone`, one component for its few hundred
/// names): a name [`parse_zone`] knows, every one of chrono-tz's.
struct ZoneName;

impl schemars::JsonSchema for ZoneName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeZone".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name()).collect();
        schemars::json_schema!({
            "description": "A name of the IANA time zone database (as of the service's build).",
            "type": "string",
            "enum": names,
        })
    }
}

/// A patch field described as its value alone: absent is how it stays, so the `null` serde's
/// default would name is left out.
fn absent_not_null(schema: &mut schemars::Schema) {
    schema.remove("default");
}

impl UpdateResource {
    pub fn is_empty(&self) -> bool {
        *self == UpdateResource::default()
    }
}

/// A bookable resource as stored (`RESOURCE#<id>` / `RESOURCE`) and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(description = "A bookable resource (room, artist, desk, …) with its opening hours and price per slot.")]
pub struct Resource {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    #[schemars(schema_with = "kind_schema")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub time_zone: String,
    pub opening_hours: OpeningHours,
    pub slot_minutes: u32,
    pub price_per_slot: Money,
    pub capacity: u32,
    pub active: bool,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl Resource {
    /// A new, active resource at version 1.
    pub fn new(id: String, owner_id: String, details: Details, created_at: String) -> Resource {
        let Details { name, kind, description, time_zone, opening_hours, slot_minutes, price_per_slot, capacity } =
            details;
        Resource {
            id,
            owner_id,
            name,
            kind,
            description,
            time_zone,
            opening_hours,
            slot_minutes,
            price_per_slot,
            capacity,
            active: true,
            version: 1,
            updated_at: created_at.clone(),
            created_at,
        }
    }

    /// This resource with its editable part replaced (identity, state and times kept).
    pub fn with(self, details: Details) -> Resource {
        Resource {
            active: self.active,
            version: self.version,
            ..Resource::new(self.id, self.owner_id, details, self.created_at)
        }
    }

    pub fn tz(&self) -> anyhow::Result<Tz> {
        parse_zone(&self.time_zone).ok_or_else(|| anyhow::anyhow!("resource {} has an unknown zone", self.id))
    }

    pub fn week(&self) -> anyhow::Result<Week> {
        Week::parse(&self.opening_hours, Some(self.slot_minutes))
            .map_err(|e| anyhow::anyhow!("resource {} has invalid stored opening hours: {e:?}", self.id))
    }

    /// Whether `identity` may edit this resource and manage its reservations ([`MANAGE_RESOURCE`]).
    pub fn managed_by(&self, identity: &Identity) -> bool {
        identity.may(&MANAGE_RESOURCE, &self.owner_id)
    }
}

/// The validated, editable part of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub name: String,
    pub kind: String,
    pub description: Option<String>,
    pub time_zone: String,
    pub opening_hours: OpeningHours,
    pub slot_minutes: u32,
    pub price_per_slot: Money,
    pub capacity: u32,
}

impl CreateResource {
    /// Every field checked; all problems reported together (422).
    pub fn validate(&self) -> Result<Details, ReservationsError> {
        validate(self)
    }
}

/// The resource `patch` would make of `resource`, validated as a whole (a new slot length
/// must still divide the stored opening intervals, and so on).
pub fn patched(resource: &Resource, patch: &UpdateResource) -> Result<Details, ReservationsError> {
    let merged = CreateResource {
        name: patch.name.clone().unwrap_or_else(|| resource.name.clone()),
        kind: resource.kind.clone(),
        time_zone: resource.time_zone.clone(),
        opening_hours: patch.opening_hours.clone().unwrap_or_else(|| resource.opening_hours.clone()),
        slot_minutes: patch.slot_minutes.unwrap_or(i64::from(resource.slot_minutes)),
        price_per_slot: patch.price_per_slot.clone().unwrap_or_else(|| MoneyInput::from(&resource.price_per_slot)),
        capacity: Some(i64::from(resource.capacity)),
        description: patch.description.clone().unwrap_or_else(|| resource.description.clone()),
    };
    validate(&merged)
}

fn validate(input: &CreateResource) -> Result<Details, ReservationsError> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| errors.push(FieldError { field: field.to_owned(), message });
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        err("name", format!("a name of 1 to {MAX_NAME_CHARS} characters is required"));
    }
    if !KINDS.contains(&input.kind.as_str()) {
        err("kind", format!("one of {}", KINDS.join(", ")));
    }
    let description = input.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
        err("description", format!("at most {MAX_DESCRIPTION_CHARS} characters"));
    }
    if parse_zone(&input.time_zone).is_none() {
        err("time_zone", "an IANA time zone such as Europe/Berlin".to_owned());
    }
    let slot = u32::try_from(input.slot_minutes)
        .ok()
        .filter(|s| (MIN_SLOT_MINUTES..=MAX_SLOT_MINUTES).contains(&i64::from(*s)));
    if slot.is_none() {
        err("slot_minutes", format!("from {MIN_SLOT_MINUTES} to {MAX_SLOT_MINUTES} minutes"));
    }
    let price = &input.price_per_slot;
    if !(0..=MAX_PRICE_MINOR).contains(&price.amount_minor) {
        err("price_per_slot.amount_minor", format!("from 0 to {MAX_PRICE_MINOR} minor units"));
    }
    if !bazaar_events::wire::is_currency_code(&price.currency) {
        err("price_per_slot.currency", "an ISO 4217 code of three upper-case letters".to_owned());
    }
    if input.capacity.is_some_and(|c| c != 1) {
        err("capacity", "only a capacity of 1 is supported".to_owned());
    }
    if let Err(hours) = Week::parse(&input.opening_hours, slot) {
        errors.extend(hours);
    }
    match slot {
        Some(slot_minutes) if errors.is_empty() => Ok(Details {
            name: name.to_owned(),
            kind: input.kind.clone(),
            description: description.map(str::to_owned),
            time_zone: input.time_zone.clone(),
            opening_hours: input.opening_hours.clone(),
            slot_minutes,
            price_per_slot: Money::new(price.amount_minor, price.currency.clone()),
            capacity: 1,
        }),
        _ => Err(ReservationsError::Invalid(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::{IntervalText, format_time};
    use bazaar_runtime::testing::invalid_fields as fields;

    pub fn room() -> CreateResource {
        CreateResource {
            name: " Room A ".into(),
            kind: "room".into(),
            time_zone: "Europe/Berlin".into(),
            opening_hours: OpeningHours { mon: vec![IntervalText::new("09:00", "17:00")], ..Default::default() },
            slot_minutes: 60,
            price_per_slot: MoneyInput { amount_minor: 2500, currency: "EUR".into() },
            capacity: None,
            description: Some("  ".into()),
        }
    }

    #[test]
    fn a_valid_resource_is_trimmed_and_has_capacity_one() {
        let d = room().validate().expect("valid");
        assert_eq!(d.name, "Room A");
        assert_eq!(d.description, None, "a blank description is none");
        assert_eq!((d.capacity, d.slot_minutes), (1, 60));
        assert_eq!(d.price_per_slot, Money::new(2500, "EUR"));
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let bad = CreateResource {
            name: "".into(),
            kind: "castle".into(),
            time_zone: "Europe/Atlantis".into(),
            slot_minutes: 4,
            price_per_slot: MoneyInput { amount_minor: -1, currency: "eur".into() },
            capacity: Some(2),
            opening_hours: OpeningHours { tue: vec![IntervalText::new("10:00", "09:00")], ..Default::default() },
            description: Some("x".repeat(MAX_DESCRIPTION_CHARS + 1)),
        };
        assert_eq!(
            fields(bad.validate().expect_err("invalid")),
            vec![
                "name",
                "kind",
                "description",
                "time_zone",
                "slot_minutes",
                "price_per_slot.amount_minor",
                "price_per_slot.currency",
                "capacity",
                "opening_hours.tue[0].close",
            ]
        );
        let long_slot = CreateResource { slot_minutes: 721, ..room() };
        assert_eq!(fields(long_slot.validate().expect_err("too long")), vec!["slot_minutes"]);
    }

    #[test]
    fn an_interval_must_hold_whole_slots() {
        let r = CreateResource { slot_minutes: 45, ..room() };
        assert_eq!(fields(r.validate().expect_err("8 h is not a multiple of 45 min")), vec!["opening_hours.mon[0]"]);
        assert!(CreateResource { slot_minutes: 30, ..room() }.validate().is_ok());
    }

    fn stored() -> Resource {
        let d = room().validate().expect("valid");
        Resource {
            id: "r".into(),
            owner_id: "o".into(),
            name: d.name,
            kind: d.kind,
            description: Some("old".into()),
            time_zone: d.time_zone,
            opening_hours: d.opening_hours,
            slot_minutes: d.slot_minutes,
            price_per_slot: d.price_per_slot,
            capacity: 1,
            active: true,
            version: 1,
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    #[test]
    fn a_patch_is_validated_against_the_whole_resource() {
        let patch: UpdateResource = serde_json::from_str(r#"{"slot_minutes": 45}"#).expect("patch");
        assert_eq!(
            fields(patched(&stored(), &patch).expect_err("45 does not divide 8 h")),
            vec!["opening_hours.mon[0]"]
        );
        let patch: UpdateResource = serde_json::from_str(r#"{"name": "Room B", "description": null}"#).expect("patch");
        let d = patched(&stored(), &patch).expect("valid");
        assert_eq!((d.name.as_str(), d.description), ("Room B", None));
        let patch: UpdateResource = serde_json::from_str(r#"{"active": false}"#).expect("patch");
        assert_eq!(patched(&stored(), &patch).expect("valid").description.as_deref(), Some("old"));
        assert!(serde_json::from_str::<UpdateResource>(r#"{"time_zone": "UTC"}"#).is_err(), "not editable");
        assert!(serde_json::from_str::<UpdateResource>("{}").expect("empty").is_empty());
    }

    /// What the document states for `T` at `pointer`.
    fn stated<T: schemars::JsonSchema>(pointer: &str) -> serde_json::Value {
        let schema = schemars::schema_for!(T);
        schema.as_value().pointer(pointer).cloned().unwrap_or_else(|| panic!("the schema states {pointer}"))
    }

    fn number<T: schemars::JsonSchema>(pointer: &str) -> i64 {
        stated::<T>(pointer).as_i64().expect("a number")
    }

    #[test]
    fn the_documented_limits_are_the_validated_ones() {
        let name = "n".repeat(number::<CreateResource>("/properties/name/maxLength") as usize);
        let description = "d".repeat(number::<CreateResource>("/properties/description/maxLength") as usize);
        let price = "/$defs/ResourcePrice/properties/amount_minor";
        let (slot_min, slot_max) = (
            number::<CreateResource>("/properties/slot_minutes/minimum"),
            number::<CreateResource>("/properties/slot_minutes/maximum"),
        );
        let hours = |slot: i64| OpeningHours::every_day(&[IntervalText::new("00:00", &format_time(slot as u32))]);
        let at = |slot: i64| CreateResource {
            name: name.clone(),
            description: Some(description.clone()),
            slot_minutes: slot,
            opening_hours: hours(slot),
            price_per_slot: MoneyInput {
                amount_minor: number::<CreateResource>(&format!("{price}/maximum")),
                currency: "EUR".into(),
            },
            capacity: Some(number::<CreateResource>("/properties/capacity/maximum")),
            ..room()
        };
        assert!(at(slot_max).validate().is_ok() && at(slot_min).validate().is_ok(), "at every documented limit");
        let refused = |r: CreateResource| fields(r.validate().expect_err("past a documented limit"));
        assert_eq!(refused(CreateResource { name: format!("{name}x"), ..at(60) }), vec!["name"]);
        assert_eq!(refused(CreateResource { name: " \u{3000}".into(), ..at(60) }), vec!["name"]);
        assert_eq!(
            refused(CreateResource { description: Some(format!("{description}x")), ..at(60) }),
            vec!["description"]
        );
        assert_eq!(refused(CreateResource { slot_minutes: slot_max + 1, ..at(60) }), vec!["slot_minutes"]);
        assert_eq!(refused(CreateResource { slot_minutes: slot_min - 1, ..at(60) }), vec!["slot_minutes"]);
        let mut price_past = at(60);
        price_past.price_per_slot.amount_minor += 1;
        assert_eq!(refused(price_past), vec!["price_per_slot.amount_minor"]);
        let mut price_below = at(60);
        price_below.price_per_slot.amount_minor = number::<CreateResource>(&format!("{price}/minimum")) - 1;
        assert_eq!(refused(price_below), vec!["price_per_slot.amount_minor"]);
        let capacity = number::<CreateResource>("/properties/capacity/minimum");
        assert_eq!(refused(CreateResource { capacity: Some(capacity + 1), ..at(60) }), vec!["capacity"]);
        assert_eq!(refused(CreateResource { capacity: Some(capacity - 1), ..at(60) }), vec!["capacity"]);
    }

    #[test]
    fn the_documented_names_are_the_validated_ones() {
        let kinds = stated::<CreateResource>("/properties/kind/enum");
        assert_eq!(kinds, serde_json::json!(KINDS));
        assert_eq!(stated::<CreateResource>("/properties/time_zone/$ref"), "#/$defs/TimeZone");
        let zones = stated::<CreateResource>("/$defs/TimeZone/enum");
        let zones: Vec<&str> = zones.as_array().expect("zones").iter().filter_map(serde_json::Value::as_str).collect();
        assert!(zones.len() > 400 && zones.contains(&"Europe/Berlin") && zones.contains(&"UTC"));
        assert!(zones.iter().all(|zone| parse_zone(zone).is_some()), "every documented zone is taken");
        for unknown in ["europe/berlin", "Europe/Atlantis", "Europe/Berlin ", "CEST", ""] {
            assert!(!zones.contains(&unknown) && parse_zone(unknown).is_none(), "{unknown}");
        }
        let currency = stated::<CreateResource>("/$defs/ResourcePrice/properties/currency/pattern");
        assert_eq!(currency, CURRENCY_PATTERN);
        for (code, valid) in [("EUR", true), ("eur", false), ("EU", false), ("EURO", false), ("E1R", false)] {
            assert_eq!(bazaar_events::wire::is_currency_code(code), valid, "{code}");
        }
        assert_eq!(stated::<CreateResource>("/properties/name/pattern"), bazaar_runtime::text::not_blank_pattern());
        assert_eq!(stated::<UpdateResource>("/minProperties"), 1, "an empty patch is refused");
        assert!(serde_json::from_str::<UpdateResource>(r#"{"name": null}"#).expect("null is absent").is_empty());
    }

    #[test]
    fn owners_manage_their_own_resources_and_admins_all() {
        let r = stored();
        let who = Identity::holding;
        assert!(r.managed_by(&who("o", &[MANAGE])));
        assert!(!r.managed_by(&who("o", &[])), "the owner without the permission");
        assert!(!r.managed_by(&who("x", &[MANAGE])), "another owner");
        assert!(r.managed_by(&who("x", &[MANAGE_ALL])));
    }
}
