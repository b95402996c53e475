//! Resources: create, read, list, edit, and the availability of a local day.

use bazaar_aws::cursor::CursorKey;
use bazaar_runtime::Identity;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{MANAGE, MANAGE_ALL, Page, open_cursor, parse_date};
use crate::hours::slots_of_day;
use crate::model::{key_time, timestamp};
use crate::resource::{CreateResource, UpdateResource, patched};
use crate::store::ResourceListing;
use crate::{ReservationsError, ReservationsStore, Resource};

/// Creates a resource owned by the caller (`reservations:manage`, else 403).
pub async fn create_resource(
    store: &ReservationsStore,
    identity: &Identity,
    body: &CreateResource,
    now: DateTime<Utc>,
) -> Result<Resource, ReservationsError> {
    identity.require(MANAGE).map_err(|_| ReservationsError::Forbidden)?;
    let details = body.validate()?;
    let resource = Resource::new(uuid::Uuid::new_v4().to_string(), identity.sub.clone(), details, timestamp(now));
    store.create_resource(&resource).await?;
    tracing::info!(resource_id = %resource.id, "resource created");
    Ok(resource)
}

/// A resource, for anyone (404 when unknown).
pub async fn get_resource(store: &ReservationsStore, id: &str) -> Result<Resource, ReservationsError> {
    store.resource(id).await?.ok_or(ReservationsError::NotFound)
}

/// Edits a resource: its owner (with `reservations:manage`) or a holder of
/// `reservations:manage_all`; anyone else with `manage` is told it does not exist (404),
/// anyone without either permission gets 403. Reservations already made keep what they
/// were booked with.
pub async fn update_resource(
    store: &ReservationsStore,
    identity: &Identity,
    id: &str,
    patch: &UpdateResource,
    now: DateTime<Utc>,
) -> Result<Resource, ReservationsError> {
    if !(identity.has_permission(MANAGE) || identity.has_permission(MANAGE_ALL)) {
        return Err(ReservationsError::Forbidden);
    }
    if patch.is_empty() {
        return Err(ReservationsError::BadRequest("the body changes nothing".into()));
    }
    for _ in 0..super::ATTEMPTS {
        let current =
            store.resource(id).await?.filter(|r| r.managed_by(identity)).ok_or(ReservationsError::NotFound)?;
        let details = patched(&current, patch)?;
        let mut updated = current.clone().with(details);
        updated.active = patch.active.unwrap_or(current.active);
        updated.version = current.version + 1;
        updated.updated_at = timestamp(now);
        if store.replace_resource(&updated, current.version).await? {
            tracing::info!(resource_id = %id, version = updated.version, "resource updated");
            return Ok(updated);
        }
    }
    Err(ReservationsError::Conflict("the resource changed concurrently; try again".into()))
}

/// Lists active resources, or every resource of `owner`, in creation order.
pub async fn list_resources(
    store: &ReservationsStore,
    cursors: &CursorKey,
    owner: Option<String>,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Resource>, ReservationsError> {
    if owner.as_deref().is_some_and(|o| !crate::store::plausible_id(o)) {
        return Err(ReservationsError::BadRequest("owner must be a user id".into()));
    }
    let listing = owner.map_or(ResourceListing::Active, ResourceListing::Owner);
    let (attr, value) = listing.partition();
    let start = open_cursor(cursors, cursor, |key| {
        let text = |a: &str| bazaar_aws::dynamo::string(key, a);
        text(attr).is_some_and(|v| v == value) && text("pk").is_some_and(|pk| pk.starts_with("RESOURCE#"))
    })?;
    let (items, last) = store.list_resources(&listing, limit, start).await?;
    let next_cursor = last.map(|k| cursors.seal(&k)).transpose()?;
    Ok(Page { items, next_cursor })
}

/// One slot of a day as `GET /resources/{id}/availability` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "AvailabilitySlot")]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Local wall-clock start, `HH:MM`.
    pub local_start: String,
    /// False when booked, already begun, or the resource is inactive.
    pub available: bool,
}

/// Every slot of one local day of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Availability {
    pub resource_id: String,
    /// `YYYY-MM-DD`, the local date in `time_zone`.
    pub date: String,
    pub time_zone: String,
    pub slot_minutes: u32,
    pub slots: Vec<SlotView>,
}

/// Every slot of local day `date` of the resource, each available unless it is locked,
/// already begun, or the resource is inactive. One Query reads the day's locks.
pub async fn availability(
    store: &ReservationsStore,
    id: &str,
    date: &str,
    now: DateTime<Utc>,
) -> Result<Availability, ReservationsError> {
    let date = parse_date(date)?;
    let resource = get_resource(store, id).await?;
    let tz = resource.tz()?;
    let slots = slots_of_day(&resource.week()?, tz, date, resource.slot_minutes);
    let taken = match (slots.first(), slots.last()) {
        (Some(first), Some(last)) => store.taken_slots(id, &key_time(first.start), &key_time(last.start)).await?,
        _ => Default::default(),
    };
    let slots = slots
        .into_iter()
        .map(|slot| SlotView {
            available: resource.active && slot.start > now && !taken.contains(&key_time(slot.start)),
            start: slot.start,
            end: slot.end,
            local_start: slot.local_start,
        })
        .collect();
    Ok(Availability {
        resource_id: resource.id,
        date: date.to_string(),
        time_zone: resource.time_zone,
        slot_minutes: resource.slot_minutes,
        slots,
    })
}
