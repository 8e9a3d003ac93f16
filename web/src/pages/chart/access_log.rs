//! The access-log tab: who viewed or changed the record, newest first ("Who viewed my record"
//! for the patient themself).

use std::rc::Rc;

use hms_api_types::patients::{AccessLogEntry, AccessLogPage};
use uuid::Uuid;
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::session::use_session;

#[derive(Debug, Clone, Default, PartialEq)]
struct AccessLog {
    items: Vec<AccessLogEntry>,
    next_cursor: Option<String>,
    loading: bool,
    error: Option<ApiError>,
}

enum LogAction {
    Load,
    Loaded(Result<AccessLogPage, ApiError>),
}

impl Reducible for AccessLog {
    type Action = LogAction;

    fn reduce(self: Rc<Self>, action: LogAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            LogAction::Load => {
                next.loading = true;
                next.error = None;
            }
            LogAction::Loaded(Ok(page)) => {
                next.loading = false;
                next.items.extend(page.items);
                next.next_cursor = page.next_cursor;
            }
            LogAction::Loaded(Err(error)) => {
                next.loading = false;
                next.error = Some(error);
            }
        }
        Rc::new(next)
    }
}

/// "Read · summary": what was done to which part of the record.
fn what(entry: &AccessLogEntry) -> String {
    format!(
        "{} · {}",
        display::humanize(&entry.action),
        entry.entity_type.replace('_', " ")
    )
}

#[derive(Properties, PartialEq)]
pub struct AccessLogTabProps {
    pub patient_id: Uuid,
    /// The patient reading their own record.
    #[prop_or_default]
    pub own: bool,
}

/// `<section id="access-log">` with `<table id="access-log-table">`.
#[component]
pub fn AccessLogTab(props: &AccessLogTabProps) -> Html {
    let session = use_session();
    let log = use_reducer(AccessLog::default);

    let load = {
        let (api, log, patient_id) = (session.api().clone(), log.dispatcher(), props.patient_id);
        Callback::from(move |cursor: Option<String>| {
            log.dispatch(LogAction::Load);
            let (api, log) = (api.clone(), log.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = api.access_log(patient_id, cursor.as_deref()).await;
                log.dispatch(LogAction::Loaded(result));
            });
        })
    };
    {
        let load = load.clone();
        use_effect_with(props.patient_id, move |_| load.emit(None));
    }
    let on_load_more = {
        let (load, cursor) = (load.clone(), log.next_cursor.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(cursor) = cursor.clone() {
                load.emit(Some(cursor));
            }
        })
    };

    html! {
        <section id="access-log" class="tab-panel">
            <h2>{ if props.own { "Who viewed my record" } else { "Who viewed this record" } }</h2>
            <p class="muted">
                { "Every time someone opens, searches for or changes this record, it is logged here." }
            </p>
            <ProblemAlert id="access-log-error" error={log.error.clone()} />
            <div class="table-wrap">
                <table id="access-log-table" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "When" }</th>
                            <th scope="col">{ "Who" }</th>
                            <th scope="col">{ "Role" }</th>
                            <th scope="col">{ "What" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for log.items.iter().map(|entry| html! {
                            <tr class="access-entry">
                                <td class="when">{ display::local_time(entry.occurred_at) }</td>
                                <td class="who">{ entry.actor_name.clone().unwrap_or_else(|| "System".to_owned()) }</td>
                                <td class="role">{ entry.actor_role.map_or("—", |r| r.label()) }</td>
                                <td class="what" data-action={entry.action.clone()} data-entity={entry.entity_type.clone()}>
                                    { what(entry) }
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            if log.loading {
                <p id="access-log-loading" class="loading" role="status">{ "Loading…" }</p>
            } else if log.items.is_empty() && log.error.is_none() {
                <p id="access-log-empty" class="muted">{ "Nobody has accessed this record yet." }</p>
            }
            if log.next_cursor.is_some() && !log.loading {
                <button id="access-log-load-more" type="button" class="button secondary load-more" onclick={on_load_more}>
                    { "Load more" }
                </button>
            }
        </section>
    }
}
