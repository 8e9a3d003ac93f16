//! Inventory for staff (`/inventory/…`): the item list, an item's page (stock per location,
//! lots, movement history and the movement forms the role may use), the shortages board and a
//! shortage's page with its history, the report-a-shortage form, and the open-shortages panel
//! of the pharmacist's home page. What they share is here: badges, the location list, a paged
//! list that keeps the newest answer.
//!
//! Each module lists the element ids it renders at its top.

mod actions;
mod board;
mod item;
mod item_picker;
mod items;
mod movements;
mod panel;
mod report;
mod shortage;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use hms_api_types::inventory::{Location, Severity, ShortageStatus};
use hms_api_types::{FieldError, Problem};
use uuid::Uuid;
use yew::prelude::*;

use crate::api::ApiError;
use crate::pages::appointments::{use_remote, RemoteHandle};
use crate::session::use_session;

pub use board::ShortagesPage;
pub use item::ItemPage;
pub use items::InventoryPage;
pub use panel::OpenShortagesPanel;
pub use report::ReportShortagePage;
pub use shortage::ShortagePage;

/// The field problems a form finds before sending anything, collected so that every
/// highlighted field shows at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// Notes a problem with `field`.
    pub fn fail(&mut self, field: &str, message: &str) {
        self.0.push(FieldError::new(field, message));
    }

    /// The value of `result`, or `None` after noting its field problems.
    pub fn take<T>(&mut self, result: Result<T, ApiError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(ApiError::Problem(problem)) => {
                self.0.extend(problem.errors);
                None
            }
            Err(ApiError::Network) => None,
        }
    }

    /// A required text: trimmed, or a problem with `field` when empty.
    pub fn text(&mut self, field: &str, value: &str, missing: &str) -> Option<String> {
        let value = crate::display::optional(value);
        if value.is_none() {
            self.fail(field, missing);
        }
        value
    }

    /// A required whole number, or a problem with `field`.
    pub fn count(&mut self, field: &str, value: &str, missing: &str) -> Option<i32> {
        let number = crate::display::integer(field, value)
            .and_then(|n| n.ok_or_else(|| ApiError::invalid(field, missing)));
        self.take(number)
    }

    /// A required id chosen in a `<select>`, or a problem with `field`.
    pub fn id(&mut self, field: &str, value: &str, missing: &str) -> Option<Uuid> {
        let id = Uuid::parse_str(value.trim()).ok();
        if id.is_none() {
            self.fail(field, missing);
        }
        id
    }

    /// `Ok` when nothing was noted; else one validation problem naming every field.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(ApiError::Problem(Box::new(Problem {
            kind: "/problems/validation".to_owned(),
            title: "Unprocessable Entity".to_owned(),
            status: 422,
            detail: Some("Check the highlighted fields.".to_owned()),
            errors: self.0,
            candidates: Vec::new(),
            error: None,
        })))
    }
}

/// The error of a form whose checks passed but left a value unset (cannot happen).
pub fn incomplete() -> ApiError {
    ApiError::invalid("form", "Check the form.")
}

/// How urgent, for sorting: higher is more urgent.
pub fn severity_rank(severity: Severity) -> u8 {
    match severity {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    }
}

/// The look each severity borrows from the allergy severities of the stylesheet.
fn severity_look(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "severity-mild",
        Severity::Medium => "severity-moderate",
        Severity::High => "severity-severe",
        Severity::Critical => "severity-life_threatening",
    }
}

/// `<span class="badge severity severity-high" data-severity="high">High</span>`.
pub fn severity_badge(severity: Severity) -> Html {
    html! {
        <span
            class={classes!(
                "badge",
                "severity",
                format!("severity-{}", severity.as_str()),
                severity_look(severity),
            )}
            data-severity={severity.as_str()}
        >
            { crate::display::humanize(severity.as_str()) }
        </span>
    }
}

/// `<span class="pill shortage-status status-open">Open</span>`.
pub fn shortage_status_badge(status: ShortageStatus) -> Html {
    let look = match status {
        ShortageStatus::Resolved => Some("ok"),
        ShortageStatus::Dismissed => Some("off"),
        _ => None,
    };
    html! {
        <span
            class={classes!("pill", "shortage-status", format!("status-{}", status.as_str()), look)}
            data-status={status.as_str()}
        >
            { crate::display::humanize(status.as_str()) }
        </span>
    }
}

/// The mark of an item patients are at risk without.
pub fn critical_badge() -> Html {
    html! {
        <span class="badge critical-item severity-life_threatening" title="Patients are at risk when this runs out">
            { "Critical item" }
        </span>
    }
}

/// The mark of stock at or below its reorder level.
pub fn low_stock_badge() -> Html {
    html! { <span class="badge low-stock severity-moderate">{ "Low stock" }</span> }
}

/// `12 capsule`.
pub fn quantity(n: i64, unit: &str) -> String {
    format!("{n} {unit}")
}

/// The name of location `id`, or a shortened id when it is not known here.
pub fn location_name(locations: &[Location], id: Uuid) -> String {
    locations
        .iter()
        .find(|l| l.id == id)
        .map(|l| l.name.clone())
        .unwrap_or_else(|| id.to_string()[..8].to_owned())
}

/// `(id, name)` options of a location `<select>` (active locations), after `first`.
pub fn location_options(
    locations: &[Location],
    first: Option<(&'static str, &'static str)>,
) -> Vec<(AttrValue, AttrValue)> {
    first
        .map(|(value, text)| (AttrValue::Static(value), AttrValue::Static(text)))
        .into_iter()
        .chain(locations.iter().filter(|l| l.active).map(|l| {
            (
                AttrValue::from(l.id.to_string()),
                AttrValue::from(format!("{} ({})", l.name, l.code)),
            )
        }))
        .collect()
}

/// Loads every stock location once (the inactive ones too, so history can name them).
#[hook]
pub fn use_locations() -> RemoteHandle<Vec<Location>> {
    let session = use_session();
    let locations = use_remote::<Vec<Location>>();
    {
        let (locations, api) = (locations.clone(), session.api().clone());
        use_effect_with((), move |_| {
            locations.load(async move { api.locations(true).await });
        });
    }
    locations
}

/// A list loaded page by page: the rows, the next cursor, and the state of the newest load.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub loading: bool,
    pub error: Option<ApiError>,
    /// Whether a first page was answered.
    pub loaded: bool,
    /// The newest load; answers to older ones are dropped.
    seq: u32,
    /// Whether the newest load adds a page rather than replacing the rows.
    appending: bool,
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged {
            items: Vec::new(),
            next_cursor: None,
            loading: false,
            error: None,
            loaded: false,
            seq: 0,
            appending: false,
        }
    }
}

pub enum PagedAction<T> {
    Load {
        seq: u32,
        append: bool,
    },
    Loaded {
        seq: u32,
        result: Result<(Vec<T>, Option<String>), ApiError>,
    },
}

impl<T: Clone + 'static> Reducible for Paged<T> {
    type Action = PagedAction<T>;

    fn reduce(self: Rc<Self>, action: PagedAction<T>) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            PagedAction::Load { seq, append } => {
                next.seq = seq;
                next.appending = append;
                next.loading = true;
                next.error = None;
            }
            PagedAction::Loaded { seq, result } => {
                if seq != self.seq {
                    return self;
                }
                next.loading = false;
                match result {
                    Ok((items, cursor)) => {
                        if next.appending {
                            next.items.extend(items);
                        } else {
                            next.items = items;
                        }
                        next.next_cursor = cursor;
                        next.loaded = true;
                    }
                    Err(error) => next.error = Some(error),
                }
            }
        }
        Rc::new(next)
    }
}

/// A [`Paged`] list and the counter that numbers its loads.
pub struct PagedHandle<T: Clone + 'static> {
    pub state: UseReducerHandle<Paged<T>>,
    seq: Rc<RefCell<u32>>,
}

impl<T: Clone + 'static> Clone for PagedHandle<T> {
    fn clone(&self) -> Self {
        PagedHandle {
            state: self.state.clone(),
            seq: self.seq.clone(),
        }
    }
}

impl<T: Clone + 'static> PagedHandle<T> {
    /// Runs `fetch` for a first page (`append == false`) or the next one; its answer is kept
    /// unless a newer load started meanwhile.
    pub fn load(
        &self,
        append: bool,
        fetch: impl Future<Output = Result<(Vec<T>, Option<String>), ApiError>> + 'static,
    ) {
        let seq = {
            let mut seq = self.seq.borrow_mut();
            *seq = seq.wrapping_add(1);
            *seq
        };
        self.state.dispatch(PagedAction::Load { seq, append });
        let state = self.state.dispatcher();
        wasm_bindgen_futures::spawn_local(async move {
            state.dispatch(PagedAction::Loaded {
                seq,
                result: fetch.await,
            });
        });
    }
}

#[hook]
pub fn use_paged<T: Clone + 'static>() -> PagedHandle<T> {
    PagedHandle {
        state: use_reducer(Paged::<T>::default),
        seq: use_mut_ref(|| 0u32),
    }
}
