//! Picks one stock item by name or SKU: a [`SearchPicker`] of items.

use std::future::Future;

use hms_api_types::inventory::Item;

use crate::api::inventory::ItemQuery;
use crate::api::{Api, ApiError};
use crate::components::search_picker::{Pickable, SearchPicker, SHOWN};

/// `<ItemPicker prefix="report" …/>`: ids `#report-item-search`, `li.report-item`, …
pub type ItemPicker = SearchPicker<Item>;

impl Pickable for Item {
    const NOUN: &'static str = "item";
    const PLACEHOLDER: &'static str = "Name or SKU";
    const RESULTS_LABEL: &'static str = "Matching items";
    const NO_MATCH: &'static str = "No items match.";

    fn search(
        api: Api,
        text: &str,
    ) -> Option<impl Future<Output = Result<Vec<Self>, ApiError>> + 'static> {
        let q = text.trim();
        let query = ItemQuery {
            q: q.to_owned(),
            ..ItemQuery::default()
        };
        (!q.is_empty()).then_some(async move {
            let page = api.list_items(&query, None, Some(SHOWN as i64)).await?;
            Ok(page.items)
        })
    }

    fn id(&self) -> String {
        self.id.to_string()
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn option_detail(&self) -> String {
        format!("{} · {} on hand", self.sku, self.on_hand)
    }

    fn picked_detail(&self) -> String {
        format!("{} · per {}", self.sku, self.unit)
    }
}
