//! Inventory: items, stock locations, lots with expiry, the movement ledger, stock views and
//! shortages.
//!
//! Quantities are whole units of the item's `unit` (tablets, vials, boxes). Stock levels are
//! derived from the append-only movement ledger and can never go negative.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == s)
            }
        }
    };
}

wire_enum!(
    /// What kind of thing an item is.
    ItemCategory {
        Drug = "drug",
        Supply = "supply",
        Equipment = "equipment",
    }
);

wire_enum!(
    /// What kind of place holds stock.
    LocationKind {
        Pharmacy = "pharmacy",
        Ward = "ward",
        Store = "store",
    }
);

wire_enum!(
    /// What a movement did.
    MovementKind {
        /// Stock arrived from a supplier into a location.
        Receive = "receive",
        /// Stock left for use, optionally for a patient and a medication order.
        Dispense = "dispense",
        /// Stock moved between two locations.
        Transfer = "transfer",
        /// A stock count correction (up or down), with a reason.
        Adjust = "adjust",
        /// Stock destroyed: expired, damaged, recalled.
        WriteOff = "write_off",
    }
);

wire_enum!(
    /// Why stock was written off.
    WriteOffReason {
        Expired = "expired",
        Damaged = "damaged",
        Recalled = "recalled",
        Other = "other",
    }
);

wire_enum!(
    /// Where a shortage stands. open → acknowledged → ordered → resolved; any live state →
    /// dismissed (with a reason). A receipt that brings the level above the reorder level
    /// resolves it by itself.
    ShortageStatus {
        Open = "open",
        Acknowledged = "acknowledged",
        Ordered = "ordered",
        Resolved = "resolved",
        Dismissed = "dismissed",
    }
);

impl ShortageStatus {
    /// Whether the shortage still needs someone (open, acknowledged or ordered).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            ShortageStatus::Open | ShortageStatus::Acknowledged | ShortageStatus::Ordered
        )
    }

    /// Whether the workflow allows moving from `self` to `to`.
    pub fn can_move_to(self, to: ShortageStatus) -> bool {
        use ShortageStatus::*;
        match to {
            Acknowledged => self == Open,
            Ordered => matches!(self, Open | Acknowledged),
            Resolved | Dismissed => self.is_live(),
            Open => false,
        }
    }
}

wire_enum!(
    /// How urgent a shortage is.
    Severity {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
);

wire_enum!(
    /// Who opened a shortage.
    ShortageSource {
        /// A movement took the level to or below the reorder level.
        Automatic = "automatic",
        /// A staff member reported it.
        Reported = "reported",
    }
);

/// A place that holds stock: the pharmacy, a ward store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "PHARM"))]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(example = "Main pharmacy"))]
    pub name: String,
    pub kind: LocationKind,
    pub active: bool,
    pub version: i32,
}

/// Body of `POST /api/v1/inventory/locations`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    /// Short unique code, letters, digits and dashes.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 20, example = "WARD-3")
    )]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    pub kind: LocationKind,
}

/// Body of `PATCH /api/v1/inventory/locations/{id}`: fields to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LocationChanges {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// A stock item of the formulary or the supply catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "AMOX-500-CAP"))]
    pub sku: String,
    #[cfg_attr(feature = "openapi", schema(example = "Amoxicillin 500 mg capsule"))]
    pub name: String,
    pub category: ItemCategory,
    /// The unit quantities count, e.g. "capsule", "vial", "box of 10".
    #[cfg_attr(feature = "openapi", schema(example = "capsule"))]
    pub unit: String,
    /// Default level at or below which a shortage opens (per location overrides exist).
    pub reorder_level: i32,
    /// Default quantity to order when short.
    pub reorder_quantity: i32,
    /// Patients are at risk when this runs out; shortages of it are marked critical.
    pub critical: bool,
    /// Whether stock is kept by lot with an expiry date (drugs, most supplies). Equipment
    /// usually is not.
    pub lot_tracked: bool,
    pub active: bool,
    /// Units on hand over every location.
    pub on_hand: i64,
    /// Whether some location holds the item at or below its reorder level.
    pub low_stock: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/inventory/items`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// Unique stock-keeping code: letters, digits, dashes, dots and underscores.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 40))]
    pub sku: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub category: ItemCategory,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 40))]
    pub unit: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub reorder_level: i32,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub reorder_quantity: i32,
    #[serde(default)]
    pub critical: bool,
    /// Default: true, except for equipment.
    #[serde(default)]
    pub lot_tracked: Option<bool>,
}

/// Body of `PATCH /api/v1/inventory/items/{id}`: fields to change. Send `If-Match` or
/// `version`. `active: false` deactivates the item (its history stays).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemChanges {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 40))]
    pub unit: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub reorder_level: Option<i32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub reorder_quantity: Option<i32>,
    #[serde(default)]
    pub critical: Option<bool>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub version: Option<i32>,
}

/// Body of `PUT /api/v1/inventory/items/{id}/reorder-levels/{location_id}`: the reorder level
/// and quantity at one location, where it differs from the item's default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReorderLevel {
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub reorder_level: i32,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub reorder_quantity: i32,
}

/// One page of items, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemPage {
    pub items: Vec<Item>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A lot of an item: what the manufacturer printed on the box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lot {
    pub id: Uuid,
    pub item_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "B2026-114"))]
    pub lot_number: String,
    pub expires_on: NaiveDate,
    /// Whether the expiry date has passed (in the hospital's time zone).
    pub expired: bool,
    /// Units of this lot on hand over every location.
    pub on_hand: i64,
}

/// The stock of one item at one location, with what it means for reordering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockLevel {
    pub item_id: Uuid,
    pub item_sku: String,
    pub item_name: String,
    pub unit: String,
    pub critical: bool,
    pub location_id: Uuid,
    pub location_name: String,
    pub on_hand: i64,
    /// Units in lots that have expired and cannot be dispensed.
    pub expired: i64,
    /// The reorder level in force here (the location's own, or the item's default).
    pub reorder_level: i32,
    pub reorder_quantity: i32,
    /// `on_hand` at or below `reorder_level`.
    pub low: bool,
    /// Units dispensed here in the last 30 days.
    pub dispensed_30d: i64,
    /// How many days the usable stock lasts at the last 30 days' rate; absent when nothing
    /// was dispensed.
    pub days_of_supply: Option<f64>,
}

/// One page of stock levels, by item name then location name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockLevelPage {
    pub items: Vec<StockLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Stock of one lot at one location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LotStock {
    pub lot_id: Option<Uuid>,
    pub lot_number: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub expired: bool,
    pub location_id: Uuid,
    pub location_name: String,
    pub quantity: i64,
}

/// An item with its stock per location and per lot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemDetail {
    pub item: Item,
    pub levels: Vec<StockLevel>,
    /// Lots with stock, first expiry first.
    pub lots: Vec<LotStock>,
}

/// A lot expiring soon (or already expired) with stock left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpiringLot {
    pub item_id: Uuid,
    pub item_sku: String,
    pub item_name: String,
    pub lot_id: Uuid,
    pub lot_number: String,
    pub expires_on: NaiveDate,
    /// Negative when already expired.
    pub days_left: i32,
    pub location_id: Uuid,
    pub location_name: String,
    pub quantity: i64,
}

/// Lots expiring within the asked window, soonest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpiringLotPage {
    pub items: Vec<ExpiringLot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One lot's share of a movement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MovementLine {
    pub lot_id: Option<Uuid>,
    pub lot_number: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub location_id: Uuid,
    /// Signed change of the stock at `location_id`.
    pub delta: i32,
}

/// An entry of the stock ledger. Never changed or deleted: a mistake is corrected by another
/// movement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Movement {
    pub id: Uuid,
    pub kind: MovementKind,
    pub item_id: Uuid,
    pub item_name: String,
    pub from_location_id: Option<Uuid>,
    pub to_location_id: Option<Uuid>,
    /// Units moved (for an adjustment: the size of the correction).
    pub quantity: i32,
    pub patient_id: Option<Uuid>,
    pub medication_id: Option<Uuid>,
    pub write_off_reason: Option<WriteOffReason>,
    pub reason: Option<String>,
    pub performed_by: Uuid,
    pub performed_by_name: String,
    pub performed_at: DateTime<Utc>,
    /// The ledger lines: one per lot and location touched.
    pub lines: Vec<MovementLine>,
    /// Set in the answer to the movement that opened a shortage (the level fell to or below
    /// the reorder level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_shortage_id: Option<Uuid>,
}

/// One page of movements, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MovementPage {
    pub items: Vec<Movement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Body of `POST /api/v1/inventory/movements/receive`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Receive {
    pub item_id: Uuid,
    pub location_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i32,
    /// Required for lot-tracked items; must be absent otherwise.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 60))]
    pub lot_number: Option<String>,
    /// Required with `lot_number`. A known lot must keep its expiry date.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    /// Supplier, delivery note.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/inventory/movements/dispense`. Without `lot_id`, the lots that expire
/// first are taken first (and the quantity may be split across lots); expired lots are never
/// dispensed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Dispense {
    pub item_id: Uuid,
    pub location_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i32,
    #[serde(default)]
    pub lot_id: Option<Uuid>,
    /// The patient the stock is for.
    #[serde(default)]
    pub patient_id: Option<Uuid>,
    /// The patient's medication (order) this dispensing fills; needs `patient_id`.
    #[serde(default)]
    pub medication_id: Option<Uuid>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/inventory/movements/transfer`. Without `lot_id`, first expiry first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub item_id: Uuid,
    pub from_location_id: Uuid,
    pub to_location_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i32,
    #[serde(default)]
    pub lot_id: Option<Uuid>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
}

/// Body of `POST /api/v1/inventory/movements/adjust`: a stock count found `counted` units of
/// the item (of `lot_id`, when lot-tracked) at the location.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Adjust {
    pub item_id: Uuid,
    pub location_id: Uuid,
    /// Required for lot-tracked items.
    #[serde(default)]
    pub lot_id: Option<Uuid>,
    /// What the count found.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub counted: i32,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: String,
}

/// Body of `POST /api/v1/inventory/movements/write-off`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WriteOff {
    pub item_id: Uuid,
    pub location_id: Uuid,
    /// Required for lot-tracked items.
    #[serde(default)]
    pub lot_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i32,
    pub reason: WriteOffReason,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
}

/// A shortage: an item running out at a location, and what is being done about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shortage {
    pub id: Uuid,
    pub item_id: Uuid,
    pub item_sku: String,
    pub item_name: String,
    pub location_id: Uuid,
    pub location_name: String,
    pub status: ShortageStatus,
    pub severity: Severity,
    pub source: ShortageSource,
    /// The item is marked critical: patients are at risk.
    pub critical_item: bool,
    pub note: Option<String>,
    /// Units on hand at the location when it opened.
    pub level_at_open: Option<i64>,
    /// Units on hand at the location now.
    pub on_hand: i64,
    pub reorder_level: i32,
    pub reorder_quantity: i32,
    pub order_reference: Option<String>,
    pub resolution: Option<String>,
    pub opened_by: Uuid,
    pub opened_by_name: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// Every step: who, when, what.
    pub history: Vec<ShortageEvent>,
}

/// One step of a shortage's workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShortageEvent {
    pub from_status: Option<ShortageStatus>,
    pub to_status: ShortageStatus,
    pub by: Uuid,
    pub by_name: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// One page of shortages: critical items and higher severity first, then newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShortagePage {
    pub items: Vec<Shortage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Body of `POST /api/v1/inventory/shortages`: any staff member reports a shortage.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportShortage {
    pub item_id: Uuid,
    pub location_id: Uuid,
    pub severity: Severity,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub note: Option<String>,
}

/// Body of the shortage workflow actions (`acknowledge`, `order`, `resolve`, `dismiss`).
/// `dismiss` needs `note` (the reason); `order` takes an `order_reference`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShortageAction {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub note: Option<String>,
    /// The purchase order or requisition number.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub order_reference: Option<String>,
    /// The version the caller saw (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortage_moves_forward_and_can_be_dismissed_while_live_only() {
        use ShortageStatus::*;
        assert!(Open.can_move_to(Acknowledged));
        assert!(Open.can_move_to(Ordered));
        assert!(Acknowledged.can_move_to(Ordered));
        assert!(Ordered.can_move_to(Resolved));
        assert!(Acknowledged.can_move_to(Dismissed));
        assert!(!Ordered.can_move_to(Acknowledged));
        assert!(!Resolved.can_move_to(Dismissed));
        assert!(!Dismissed.can_move_to(Open));
        assert!(!Resolved.can_move_to(Resolved));
    }

    #[test]
    fn every_wire_name_parses_back() {
        for kind in MovementKind::ALL {
            assert_eq!(MovementKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(ShortageStatus::parse("closed"), None);
    }
}
