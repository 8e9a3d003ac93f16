//! What every record tab shares: the list with paging and the entered-in-error filter, the
//! per-row "Mark entered in error" control, the list messages and footer.

use std::cell::RefCell;
use std::rc::Rc;

use hms_api_types::records::{EnteredInError, Provenance};
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::records::{Editable, Record};
use crate::api::{Api, ApiError};
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{Form, FormAction};

/// Shown when an entry changed between loading the list and acting on it (HTTP 412).
const STALE_MESSAGE: &str =
    "This entry was changed by someone else, so the list was reloaded. Check it and try again.";

/// The props of every record tab.
#[derive(Properties, PartialEq)]
pub struct RecordTabProps {
    pub patient_id: Uuid,
    /// The role may add to and correct the record.
    pub write: bool,
}

/// The props of an add form: it hands the saved entry to the list.
#[derive(Properties, PartialEq)]
pub struct AddFormProps<R: Record> {
    pub patient_id: Uuid,
    pub onadded: Callback<R>,
}

/// Submits an add form: `request` is the body built from the form (or why it cannot be
/// built). On success the form clears, shows `done` and the entry goes to `onadded`.
pub fn submit_new<R: Record, F: Clone + Default + 'static>(
    form: &UseReducerHandle<Form<F>>,
    api: &Api,
    patient_id: Uuid,
    request: Result<R::New, ApiError>,
    onadded: &Callback<R>,
    done: &'static str,
) {
    if form.submitting {
        return;
    }
    let body = match request {
        Ok(body) => body,
        Err(error) => {
            form.dispatch(FormAction::Failed(error));
            return;
        }
    };
    form.dispatch(FormAction::Submit);
    let (form, onadded, api) = (form.dispatcher(), onadded.clone(), api.clone());
    wasm_bindgen_futures::spawn_local(async move {
        match api.add_record::<R>(patient_id, &body).await {
            Ok(entry) => {
                form.dispatch(FormAction::Succeeded(Some(AttrValue::Static(done))));
                onadded.emit(entry);
            }
            Err(error) => form.dispatch(FormAction::Failed(error)),
        }
    });
}

/// A record list as shown, and what is loading.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordList<R> {
    pub items: Vec<R>,
    pub next_cursor: Option<String>,
    /// Whether entries marked as entered in error are listed.
    pub include_in_error: bool,
    pub loading: bool,
    /// The newest load; answers to older ones are dropped.
    seq: u32,
    /// Whether the newest load adds a page rather than replacing the rows.
    appending: bool,
    pub load_error: Option<ApiError>,
    /// The entry whose change is in flight.
    pub busy: Option<Uuid>,
    pub action_error: Option<ApiError>,
    pub status: Option<AttrValue>,
}

impl<R> Default for RecordList<R> {
    fn default() -> Self {
        RecordList {
            items: Vec::new(),
            next_cursor: None,
            include_in_error: false,
            loading: false,
            seq: 0,
            appending: false,
            load_error: None,
            busy: None,
            action_error: None,
            status: None,
        }
    }
}

impl<R: Record> RecordList<R> {
    /// The entries to show: those in error only when asked for.
    pub fn visible(&self) -> impl Iterator<Item = &R> {
        self.items
            .iter()
            .filter(|r| self.include_in_error || r.entered_in_error().is_none())
    }
}

pub enum ListAction<R> {
    Load {
        seq: u32,
        include_in_error: bool,
        append: bool,
    },
    Loaded {
        seq: u32,
        result: Result<(Vec<R>, Option<String>), ApiError>,
    },
    /// A new entry was saved: it goes first (lists are newest first).
    Added(R),
    Change(Uuid),
    /// An entry changed on the server.
    Changed(R, AttrValue),
    /// A change succeeded but the server sent no entry back (the list is reloaded).
    Done(AttrValue),
    ChangeFailed(ApiError),
}

impl<R: Record> Reducible for RecordList<R> {
    type Action = ListAction<R>;

    fn reduce(self: Rc<Self>, action: ListAction<R>) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ListAction::Load {
                seq,
                include_in_error,
                append,
            } => {
                next.seq = seq;
                next.include_in_error = include_in_error;
                next.appending = append;
                next.loading = true;
                next.load_error = None;
            }
            ListAction::Loaded { seq, result } => {
                if seq != self.seq {
                    return self;
                }
                next.loading = false;
                match result {
                    Ok((items, cursor)) => {
                        if next.appending {
                            let known: Vec<Uuid> = next.items.iter().map(R::id).collect();
                            next.items
                                .extend(items.into_iter().filter(|r| !known.contains(&r.id())));
                        } else {
                            next.items = items;
                        }
                        next.next_cursor = cursor;
                    }
                    Err(error) => next.load_error = Some(error),
                }
            }
            ListAction::Added(entry) => {
                next.items.retain(|r| r.id() != entry.id());
                next.items.insert(0, entry);
                next.action_error = None;
            }
            ListAction::Change(id) => {
                next.busy = Some(id);
                next.action_error = None;
                next.status = None;
            }
            ListAction::Changed(entry, status) => {
                next.busy = None;
                next.status = Some(status);
                if let Some(row) = next.items.iter_mut().find(|r| r.id() == entry.id()) {
                    *row = entry;
                }
            }
            ListAction::Done(status) => {
                next.busy = None;
                next.status = Some(status);
            }
            ListAction::ChangeFailed(error) => {
                next.busy = None;
                next.action_error = Some(error);
            }
        }
        Rc::new(next)
    }
}

/// A record list bound to one patient: its state and what can be done to it.
#[derive(Clone)]
pub struct ListHandle<R: Record> {
    pub state: UseReducerHandle<RecordList<R>>,
    api: Api,
    patient_id: Uuid,
    seq: Rc<RefCell<u32>>,
}

impl<R: Record> ListHandle<R> {
    /// Loads the first page (or the page after `cursor`).
    fn load(&self, include_in_error: bool, cursor: Option<String>) {
        let seq = {
            let mut seq = self.seq.borrow_mut();
            *seq = seq.wrapping_add(1);
            *seq
        };
        self.state.dispatch(ListAction::Load {
            seq,
            include_in_error,
            append: cursor.is_some(),
        });
        let (list, api, patient_id) = (self.state.dispatcher(), self.api.clone(), self.patient_id);
        wasm_bindgen_futures::spawn_local(async move {
            let result = api
                .list_records::<R>(patient_id, include_in_error, cursor.as_deref())
                .await;
            list.dispatch(ListAction::Loaded { seq, result });
        });
    }

    /// Reloads the first page with the current filter.
    fn reload(&self) {
        self.load(self.state.include_in_error, None);
    }

    /// For the "Load more" button.
    pub fn on_load_more(&self) -> Callback<MouseEvent> {
        let handle = self.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(cursor) = handle.state.next_cursor.clone() {
                handle.load(handle.state.include_in_error, Some(cursor));
            }
        })
    }

    /// For the "Show entered-in-error" checkbox.
    pub fn on_toggle_in_error(&self) -> Callback<bool> {
        let handle = self.clone();
        Callback::from(move |include: bool| handle.load(include, None))
    }

    /// For add forms: puts the saved entry on top of the list.
    pub fn on_added(&self) -> Callback<R> {
        let list = self.state.dispatcher();
        Callback::from(move |entry: R| list.dispatch(ListAction::Added(entry)))
    }

    /// For entries changed elsewhere (a note added to an encounter).
    pub fn on_changed(&self) -> Callback<(R, AttrValue)> {
        let list = self.state.dispatcher();
        Callback::from(move |(entry, status): (R, AttrValue)| {
            list.dispatch(ListAction::Changed(entry, status))
        })
    }

    /// Runs a change of entry `id` made elsewhere (e.g. on a note of an encounter): the row is
    /// busy meanwhile, and the outcome shows like any other change.
    pub fn change(
        &self,
        id: Uuid,
        change: impl std::future::Future<Output = Result<(R, AttrValue), ApiError>> + 'static,
    ) {
        self.state.dispatch(ListAction::Change(id));
        let list = self.state.dispatcher();
        wasm_bindgen_futures::spawn_local(async move {
            match change.await {
                Ok((entry, status)) => list.dispatch(ListAction::Changed(entry, status)),
                Err(error) => list.dispatch(ListAction::ChangeFailed(error)),
            }
        });
    }

    /// For [`MarkInError`]: marks the entry with a reason.
    pub fn on_mark_in_error(&self) -> Callback<(Uuid, String)> {
        let handle = self.clone();
        Callback::from(move |(id, reason): (Uuid, String)| {
            handle.state.dispatch(ListAction::Change(id));
            let handle = handle.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let status = AttrValue::Static("Marked as entered in error.");
                match handle
                    .api
                    .mark_entered_in_error::<R>(handle.patient_id, id, &reason)
                    .await
                {
                    Ok(Some(entry)) => handle.state.dispatch(ListAction::Changed(entry, status)),
                    Ok(None) => {
                        handle.state.dispatch(ListAction::Done(status));
                        handle.reload();
                    }
                    Err(error) => handle.state.dispatch(ListAction::ChangeFailed(error)),
                }
            });
        })
    }
}

impl<R: Editable> ListHandle<R> {
    /// Sends `change` for `entry` (with its version); `done` is the status line on success.
    pub fn update(&self, entry: &R, change: R::Update, done: &'static str) {
        let (id, version) = (entry.id(), entry.version());
        self.state.dispatch(ListAction::Change(id));
        let handle = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match handle
                .api
                .update_record::<R>(handle.patient_id, id, version, &change)
                .await
            {
                Ok(entry) => handle
                    .state
                    .dispatch(ListAction::Changed(entry, AttrValue::Static(done))),
                Err(error) if error.status() == Some(412) => {
                    handle
                        .state
                        .dispatch(ListAction::ChangeFailed(error.with_detail(STALE_MESSAGE)));
                    handle.reload();
                }
                Err(error) => handle.state.dispatch(ListAction::ChangeFailed(error)),
            }
        });
    }
}

/// The list of `R` for `patient_id`; the first page loads on mount.
#[hook]
pub fn use_record_list<R: Record>(api: Api, patient_id: Uuid) -> ListHandle<R> {
    let state = use_reducer(RecordList::<R>::default);
    let seq = use_mut_ref(|| 0u32);
    let handle = ListHandle {
        state,
        api,
        patient_id,
        seq,
    };
    {
        let handle = handle.clone();
        use_effect_with(patient_id, move |_| handle.load(false, None));
    }
    handle
}

/// The problem and status lines above a list, and the entered-in-error filter.
pub fn list_messages<R: Record>(prefix: &str, handle: &ListHandle<R>) -> Html {
    let state = &handle.state;
    let onchange = {
        let toggle = handle.on_toggle_in_error();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                toggle.emit(input.checked());
            }
        })
    };
    html! {
        <>
            <div class="list-tools">
                <label class="check">
                    <input
                        type="checkbox"
                        id={format!("{prefix}-show-in-error")}
                        checked={state.include_in_error}
                        {onchange}
                    />
                    { "Show entries marked entered in error" }
                </label>
            </div>
            <ProblemAlert id={format!("{prefix}-error")} error={state.load_error.clone()} />
            <ProblemAlert id={format!("{prefix}-action-error")} error={state.action_error.clone()} />
            if let Some(status) = &state.status {
                <p id={format!("{prefix}-status")} class="status" role="status">{ status.clone() }</p>
            }
        </>
    }
}

/// "Loading…", the empty-list line, and "Load more".
pub fn list_footer<R: Record>(prefix: &str, handle: &ListHandle<R>, empty: &'static str) -> Html {
    let state = &handle.state;
    html! {
        <>
            if state.loading {
                <p id={format!("{prefix}-loading")} class="loading" role="status">{ "Loading…" }</p>
            } else if state.visible().next().is_none() && state.load_error.is_none() {
                <p id={format!("{prefix}-empty")} class="muted">{ empty }</p>
            }
            if state.next_cursor.is_some() && !state.loading {
                <button
                    id={format!("{prefix}-load-more")}
                    type="button"
                    class="button secondary load-more"
                    onclick={handle.on_load_more()}
                >
                    { "Load more" }
                </button>
            }
        </>
    }
}

/// The class of a row: `entered-in-error` when it was marked so.
pub fn row_class(in_error: Option<&EnteredInError>) -> Classes {
    classes!(in_error.is_some().then_some("entered-in-error"))
}

/// Why an entry was marked entered in error, under its first cell.
pub fn in_error_note(in_error: Option<&EnteredInError>) -> Html {
    match in_error {
        Some(e) => html! {
            <span class="in-error-note">
                { format!("Entered in error ({}): {}", display::local_time(e.at), e.reason) }
            </span>
        },
        None => Html::default(),
    }
}

/// "Name, 2024-03-12 14:05": who recorded an entry, and when.
pub fn recorded(p: &Provenance) -> Html {
    html! {
        <>
            <span class="by">{ p.recorded_by_name.clone() }</span>
            <br />
            <span class="at muted">{ display::local_time(p.recorded_at) }</span>
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct MarkInErrorProps {
    pub entry_id: Uuid,
    /// What the entry is, for the button's accessible name ("Penicillin").
    pub what: AttrValue,
    /// A change is in flight (on any row).
    pub disabled: bool,
    pub onmark: Callback<(Uuid, String)>,
}

/// "Mark entered in error": asks for the reason in place, then calls `onmark`.
#[component]
pub fn MarkInError(props: &MarkInErrorProps) -> Html {
    let open = use_state(|| false);
    let reason = use_state(String::new);
    let missing = use_state(|| false);

    if !*open {
        let onclick = {
            let open = open.clone();
            Callback::from(move |_: MouseEvent| open.set(true))
        };
        return html! {
            <button
                type="button"
                class="button small secondary mark-error"
                disabled={props.disabled}
                aria-label={format!("Mark {} entered in error", props.what)}
                {onclick}
            >
                { "Mark entered in error" }
            </button>
        };
    }

    let input_id = format!("mark-error-reason-{}", props.entry_id);
    let oninput = {
        let reason = reason.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                reason.set(input.value());
            }
        })
    };
    let onsubmit = {
        let (open, reason, missing) = (open.clone(), reason.clone(), missing.clone());
        let (onmark, id) = (props.onmark.clone(), props.entry_id);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = reason.trim().to_owned();
            if text.is_empty() {
                missing.set(true);
                return;
            }
            onmark.emit((id, text));
            missing.set(false);
            reason.set(String::new());
            open.set(false);
        })
    };
    let oncancel = {
        let (open, missing) = (open.clone(), missing.clone());
        Callback::from(move |_: MouseEvent| {
            missing.set(false);
            open.set(false);
        })
    };
    html! {
        <form class="mark-error-form" {onsubmit} novalidate=true>
            <label for={input_id.clone()}>{ "Reason" }</label>
            <input
                id={input_id.clone()}
                class="mark-error-reason"
                type="text"
                placeholder="e.g. recorded on the wrong patient"
                value={(*reason).clone()}
                aria-invalid={missing.then_some("true")}
                {oninput}
            />
            <button type="submit" class="button small primary mark-error-confirm" disabled={props.disabled}>
                { "Confirm" }
            </button>
            <button type="button" class="button small secondary mark-error-cancel" onclick={oncancel}>
                { "Cancel" }
            </button>
            if *missing {
                <p class="field-error" id={format!("{input_id}-error")}>{ "Give a reason." }</p>
            }
        </form>
    }
}
